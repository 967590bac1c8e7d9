package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestFlowForEachOutcome(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"webhook: ONBOARDING_FINISHED (finished)", "overall score OK (ready true)", "decision: approved", "approved: customer"}},
		{[]string{"-outcome", "warn"}, []string{"decision: needs_review"}},
		{[]string{"-outcome", "fail"}, []string{"overall score FAIL", "decision: rejected"}},
		{[]string{"-outcome", "expired"}, []string{"webhook: EXPIRED (failed)", "decision: rejected"}},
		{[]string{"-outcome", "score_not_ready"}, []string{"overall score UNKNOWN (ready false)", "decision: not_ready"}},
		{[]string{"-outcome", "manual_review"}, []string{"decision: needs_review"}},
		{[]string{"-outcome", "manual_review", "-review", "approve"}, []string{"webhook: MANUAL_REVIEW_APPROVED (succeeded)", "decision: approved", "approved: customer"}},
		{[]string{"-outcome", "manual_review", "-review", "reject"}, []string{"decision: rejected"}},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), tt.args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v (%s)", tt.args, err, errOut.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: no %q in:\n%s", tt.args, w, out.String())
			}
		}
		if tt.want[len(tt.want)-1] != "approved: customer" && strings.Contains(out.String(), "approved: customer") {
			t.Errorf("%v approved:\n%s", tt.args, out.String())
		}
	}
}

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) || exitStatus(err, &errOut) != 0 {
		t.Fatalf("-h: %v", err)
	}
	for _, args := range [][]string{{"-outcome", "maybe"}, {"-review", "perhaps"}, {"extra"}} {
		if err := run(context.Background(), args, &out, &errOut); err == nil || exitStatus(err, &errOut) != 1 {
			t.Errorf("%v accepted", args)
		}
	}
}
