package incode

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kycgo/kyc/option"
)

// Verdict is what a backend does with a session.
type Verdict string

// Verdicts.
const (
	// Approved: Incode's overall status is OK (or a reviewer approved).
	Approved Verdict = "approved"
	// Rejected: the overall status is FAIL, a reviewer rejected, or the
	// session expired.
	Rejected Verdict = "rejected"
	// NeedsReview: the overall status is WARN, a manual review is pending,
	// or the status is one this package does not know.
	NeedsReview Verdict = "needs_review"
	// NotReady: the flow is still running or the score is not computed
	// yet (UNKNOWN or missing overall status): ask again later.
	NotReady Verdict = "not_ready"
)

// Decision is the verdict on a session with the reason for it. Reason is
// this package's own text (never Incode's free text); String and LogValue
// print the whole Decision.
type Decision struct {
	// Verdict is what to do.
	Verdict Verdict
	// Reason explains the verdict in a short sentence.
	Reason string
	// Status is the onboarding status the verdict was made on.
	Status OnboardingStatus
	// Overall is the score's overall status (ScoreUnknown when the score
	// was not read or is not ready).
	Overall ScoreStatus
}

// Final reports whether the verdict will not change by waiting
// (anything but NotReady).
func (d Decision) Final() bool { return d.Verdict != NotReady }

// String prints the verdict, statuses and reason.
func (d Decision) String() string {
	return fmt.Sprintf("incode.Decision{Verdict: %s, Status: %s, Overall: %s, Reason: %q}", d.Verdict, d.Status, d.Overall, d.Reason)
}

// LogValue logs the verdict, statuses and reason.
func (d Decision) LogValue() slog.Value {
	return slog.GroupValue(slog.String("verdict", string(d.Verdict)), slog.String("status", string(d.Status)),
		slog.String("overall", string(d.Overall)), slog.String("reason", d.Reason))
}

// NeedsScore reports whether Decide needs the score to decide on status:
// true for ONBOARDING_FINISHED (the flow ended; the result is in the
// score), false for the statuses that decide alone (manual review,
// expiry) and for those that are not ready.
func NeedsScore(status OnboardingStatus) bool { return status == OnboardingFinished }

// Decide returns the verdict on a session from its onboarding status (from
// a webhook or OnboardingStatus) and its score (nil when not read). It
// follows Incode's guidance, deciding on the overall status of the score
// once the flow finished:
//
//   - MANUAL_REVIEW_APPROVED: Approved; MANUAL_REVIEW_REJECTED and
//     EXPIRED: Rejected (whatever the score).
//   - UNKNOWN and the intermediate *_FINISHED steps: NotReady.
//   - ONBOARDING_FINISHED: by the score's overall status: OK and MANUAL_OK
//     Approved; FAIL and MANUAL_FAIL Rejected; WARN, MANUAL and
//     MANUAL_PENDING NeedsReview; UNKNOWN, missing overall or no score
//     NotReady; any other value NeedsReview.
//   - Any other status: NeedsReview (an unknown status is never a pass).
//
// ONBOARDING_FINISHED alone is never Approved. Freeze the session first
// (CloseSession) if it must not change after you decided.
func Decide(status OnboardingStatus, score *Score) Decision {
	d := Decision{Status: status, Overall: score.OverallStatus()}
	switch {
	case status == ManualReviewApproved:
		d.Verdict, d.Reason = Approved, "a reviewer approved the session"
	case status == ManualReviewRejected:
		d.Verdict, d.Reason = Rejected, "a reviewer rejected the session"
	case status == OnboardingExpired:
		d.Verdict, d.Reason = Rejected, "the session expired before it was finished"
	case status == "" || status.InProgress():
		d.Verdict, d.Reason = NotReady, "the onboarding flow has not finished"
	case status == OnboardingFinished:
		d.Verdict, d.Reason = fromScore(score)
	default:
		d.Verdict, d.Reason = NeedsReview, "the onboarding status is not one this package knows"
	}
	return d
}

func fromScore(score *Score) (Verdict, string) {
	if !score.Ready() {
		return NotReady, "the score is not computed yet (overall status UNKNOWN or missing)"
	}
	switch score.Overall.Status {
	case ScoreOK:
		return Approved, "the overall score status is OK"
	case ScoreManualOK:
		return Approved, "the overall score status is MANUAL_OK"
	case ScoreFail:
		return Rejected, "the overall score status is FAIL"
	case ScoreManualFail:
		return Rejected, "the overall score status is MANUAL_FAIL"
	case ScoreWarn:
		return NeedsReview, "the overall score status is WARN"
	case ScoreManual, ScoreManualPending:
		return NeedsReview, "a manual review of the score is pending"
	}
	return NeedsReview, "the overall score status is not one this package knows"
}

// Decide reads a session's onboarding status and, once the flow finished,
// its score, and returns Decide's verdict. Call it on a webhook or when
// polling; a NotReady verdict means ask again later.
//
// opts apply to both reads; with option.WithResponseInto the response
// describes the last one.
func (c *Client) Decide(ctx context.Context, t Target, opts ...option.CallOption) (Decision, error) {
	status, err := c.OnboardingStatus(ctx, t, opts...)
	if err != nil {
		return Decision{}, err
	}
	if !NeedsScore(status) {
		return Decide(status, nil), nil
	}
	score, err := c.Score(ctx, t, opts...)
	if err != nil {
		return Decision{}, err
	}
	return Decide(status, score), nil
}
