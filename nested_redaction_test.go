package kyc_test

import (
	"fmt"
	"testing"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/integrations"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/internal/redacttest"
	"github.com/kycgo/kyc/webhooks"
)

// TestNestedRedaction: every model that prints no personal data or secret
// as a whole prints none through its parts either (a caller logging
// u.Emails or data.Info with slog's JSON handler, or printing
// sessions.Sessions with %v). Each row lists the fields that are not
// personal data and that a part may print although the whole does not.
// Score is left out on purpose: it holds check results, not personal data.
func TestNestedRedaction(t *testing.T) {
	t.Parallel()
	ekycPublic := []string{"ID", "Status", "OrgID"}
	for _, tt := range []struct {
		model  any
		public []string
	}{
		{&fractalid.User{}, []string{"SourceType", "Status", "ReportID", "ReportType", "ID", "Currency"}},
		{&fractalid.VerificationCase{}, []string{"ReportID", "ReportType"}},
		{&fractalid.Config{}, []string{"FrontendURL", "AuthURL", "ResourceURL", "MessageOrigin"}},
		{&kraken.Data{}, []string{"IDDocType", "Country", "AcceptedAt"}},
		{&kraken.Config{}, []string{"KYCURL", "APIURL", "MessageOrigin"}},
		{&credentials.Proof{}, []string{"Level", "CitizenshipNot", "ResidencyNot", "Other"}},
		{&incode.OCRData{}, nil},
		{&incode.OnboardingRequest{}, []string{"Type"}},
		{&incode.HostedOnboarding{}, []string{"InterviewID"}},
		{&incode.Approval{}, nil},
		{&incode.Session{}, nil},
		{&integrations.Settings{}, nil},
		{&integrations.FractalApp{}, nil},
		{&integrations.IncodeIntegration{}, nil},
		{&integrations.EKYCCredential{}, nil},
		{&ekycadmin.Session{}, ekycPublic},
		{&ekycadmin.SessionEntry{}, ekycPublic},
		{&ekycadmin.UserSessions{}, ekycPublic},
		{&ekycadmin.UserStatus{}, ekycPublic},
		{&webhooks.Event{}, []string{"UserID", "Status", "IDOSHumanID", "CredentialID", "Raw"}},
	} {
		t.Run(fmt.Sprintf("%T", tt.model), func(t *testing.T) {
			t.Parallel()
			redacttest.Nested(t, tt.model, tt.public...)
		})
	}
}
