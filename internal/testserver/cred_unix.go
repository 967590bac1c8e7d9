//go:build unix

package testserver

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// credential is the identity a server process runs as.
type credential = syscall.Credential

// unprivileged returns the credential to run PostgreSQL with: nil unless
// this process is root, else the user "nobody", to whom dir is handed.
func unprivileged(dir string) (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("testserver: running as root and no user \"nobody\" to run postgres as: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("testserver: user nobody has a non-numeric id")
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: false, Groups: []uint32{}}, nil
}

func setCredential(cmd *exec.Cmd, cred *credential) {
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
}

// pgTempBase is where the cluster's directory is made. Under root the
// server runs as nobody, who must reach it: /tmp rather than a $TMPDIR
// that may sit in root's private home.
func pgTempBase() string {
	if os.Geteuid() == 0 {
		if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() && fi.Mode().Perm()&0o001 != 0 {
			return "/tmp"
		}
	}
	return os.TempDir()
}
