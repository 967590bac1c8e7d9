package krakentest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
)

var scriptRe = regexp.MustCompile(`(?s)<script( [^>]*)?>(.*?)</script>`)

// scripts returns the page's script elements: attributes and body.
func scripts(page string) [][2]string {
	var out [][2]string
	for _, m := range scriptRe.FindAllStringSubmatch(page, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

func get(t *testing.T, hc *http.Client, method, u string, form url.Values) string {
	t.Helper()
	var resp *http.Response
	var err error
	if form != nil {
		resp, err = hc.PostForm(u, form)
	} else {
		resp, err = hc.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d", method, u, resp.StatusCode)
	}
	return string(b)
}

// The scripts of the hosted page run as a browser runs them (in Node, with
// a minimal window and document): inside an iframe the page marks itself
// embedded, and the completion page posts {oneTimeToken, state} to its
// parent, which kraken then accepts. It skips without node unless
// KYC_REQUIRE_NODE=1.
func TestPageScriptsInAnIframe(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("KYC_REQUIRE_NODE") == "1" {
			t.Fatal("node not found and KYC_REQUIRE_NODE=1")
		}
		t.Skip("node not found")
	}
	srv := krakentest.NewServer(t)
	cfg := srv.Config()
	link, err := cfg.KYCURL(kraken.LevelBasic, "iframe-st")
	if err != nil {
		t.Fatal(err)
	}
	page := get(t, srv.HTTPClient(), "GET", link, nil)
	ss := scripts(page)
	if len(ss) != 1 {
		t.Fatalf("%d scripts on the page", len(ss))
	}
	const markShim = `
const el = { value: "0" };
const document = { getElementById: (id) => id === "embedded" ? el : null };
const window = { parent: {} };
%s
process.stdout.write(el.value);`
	out, err := exec.Command(node, "-e", strings.Replace(markShim, "%s", ss[0][1], 1)).Output()
	if err != nil || string(out) != "1" {
		t.Fatalf("embedded flag %q, %v", out, err)
	}
	journey := regexp.MustCompile(`name="journey" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	done := get(t, srv.HTTPClient(), "POST", srv.URL()+"/kyc/complete", url.Values{"journey": {journey}, "embedded": {string(out)}})
	ss = scripts(done)
	if len(ss) != 2 || !strings.Contains(ss[0][0], `type="application/json"`) {
		t.Fatalf("completion page scripts: %q", ss)
	}
	const postShim = `
const json = %s;
const document = { getElementById: (id) => id === "kraken-message" ? { textContent: json } : null };
const window = { parent: { postMessage: (data, target) => process.stdout.write(JSON.stringify({ data, target })) } };
%s`
	jsonText, _ := json.Marshal(ss[0][1])
	script := strings.Replace(strings.Replace(postShim, "%s", string(jsonText), 1), "%s", ss[1][1], 1)
	out, err = exec.Command(node, "-e", script).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var posted struct {
		Data   json.RawMessage
		Target string
	}
	if err := json.Unmarshal(out, &posted); err != nil || posted.Target != "*" {
		t.Fatalf("posted %s, %v", out, err)
	}
	m, err := cfg.ParseMessage(srv.URL(), posted.Data, "iframe-st")
	if err != nil || m.Kind != kraken.MessageDone || !m.StateChecked {
		t.Fatalf("message: %v, %v", m, err)
	}
	c, err := kraken.NewClient(cfg, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if sess, err := c.Session(context.Background(), m.OneTimeToken); err != nil || sess.State != kraken.StateApproved {
		t.Fatalf("session %v, %v", sess, err)
	}
}
