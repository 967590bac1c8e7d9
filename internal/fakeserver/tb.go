package fakeserver

import (
	"fmt"
	"sync"
)

// TB is the part of testing.TB the fakes use. *testing.T, *testing.B and
// *testing.F satisfy it; so does a *Program, for running a fake outside a
// test (a demo or a local development server).
type TB interface {
	Helper()
	Cleanup(func())
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Program is a TB for a fake running in a program rather than a test.
// Misuse of the fake (what would fail a test) panics with the message;
// Close runs the cleanups, last registered first.
type Program struct {
	mu       sync.Mutex
	cleanups []func()
	closed   bool
}

// NewProgram returns a Program.
func NewProgram() *Program { return &Program{} }

// Helper does nothing.
func (p *Program) Helper() {}

// Cleanup registers f to run at Close.
func (p *Program) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// Fatal panics: a fake was misused.
func (p *Program) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

// Fatalf panics: a fake was misused.
func (p *Program) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// Errorf panics: a fake was misused.
func (p *Program) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// Close runs the registered cleanups once, last first.
func (p *Program) Close() {
	p.mu.Lock()
	fs := p.cleanups
	p.cleanups = nil
	p.closed = true
	p.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
