//go:build !unix

package testserver

import (
	"os"
	"os/exec"
)

// credential stands in for the unix type on systems without one.
type credential struct{}

func unprivileged(string) (*credential, error) { return nil, nil }

func setCredential(*exec.Cmd, *credential) {}

// pgTempBase is where the cluster's directory is made.
func pgTempBase() string { return os.TempDir() }
