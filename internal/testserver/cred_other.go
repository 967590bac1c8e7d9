//go:build !unix

package testserver

import (
	"os/exec"
)

// credential stands in for the unix type on systems without one.
type credential struct{}

func unprivileged(string) (*credential, error) { return nil, nil }

func setCredential(*exec.Cmd, *credential) {}
