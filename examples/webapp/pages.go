package main

import (
	"html/template"
	"net/http"
)

const layoutHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{template "title" .}} - KYC demo</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a href="/" class="brand">KYC demo shop</a></header>
<main>
{{template "content" .}}
</main>
<footer>An example of <code>github.com/kycgo/kyc/fractalid</code></footer>
</body>
</html>
`

var pageHTML = map[string]string{
	"home": `{{define "title"}}Welcome{{end}}{{define "content"}}
<h1>Verify your identity</h1>
<p>Before you can trade, we need to know that your identity has been verified
({{.Level}}). We use Fractal ID: you verify once with Fractal and choose to
share the result with us.</p>
<form method="post" action="/login">
<button type="submit" id="verify" class="primary">Verify with Fractal</button>
</form>
<p><a href="/embedded" id="embedded-link">Or verify without leaving this page</a></p>
{{if .SignedIn}}<p><a href="/status" id="status-link">See your current status</a></p>{{end}}
{{end}}`,

	"embedded": `{{define "title"}}Verify{{end}}{{define "content"}}
<h1>Verify your identity</h1>
<p>Verify with Fractal ID below ({{.Level}}) and share the result with us.</p>
<iframe id="fractal" class="journey" title="Fractal ID" src="{{.Src}}" allow="{{.Allow}}" sandbox="{{.Sandbox}}" data-origin="{{.Origin}}"></iframe>
<p id="embed-status" role="status"></p>
<script src="/embed.js"></script>
{{end}}`,

	"status": `{{define "title"}}Your status{{end}}{{define "content"}}
<h1>Your KYC status</h1>
<p id="status" class="status status-{{.Status}}">Status: <strong>{{.Status}}</strong> ({{.Level}})</p>
{{if eq .Status "approved"}}<p>You are verified. You can use every feature.</p>
{{else if eq .Status "pending"}}<p>Fractal is still reviewing your verification. Come back later.</p>
{{else if eq .Status "not shared"}}<p>You did not share: {{range $i, $m := .Missing}}{{if $i}}, {{end}}{{$m}}{{end}}. Start again and approve every item.</p>
{{else}}<p>Your verification is {{.Status}}. Please contact Fractal ID.</p>
{{end}}
<h2>Verification cases</h2>
{{if .Cases}}<table id="cases">
<thead><tr><th>Level</th><th>Outcome</th></tr></thead>
<tbody>{{range .Cases}}<tr><td>{{.Level}}</td><td class="outcome-{{.Outcome}}">{{.Outcome}}</td></tr>{{end}}</tbody>
</table>{{else}}<p id="cases">No verification case was shared.</p>{{end}}
<form method="post" action="/logout"><button type="submit" id="logout">Sign out</button></form>
{{end}}`,

	"error": `{{define "title"}}{{.Title}}{{end}}{{define "content"}}
<h1 id="error">{{.Title}}</h1>
<p id="message">{{.Message}}</p>
<p><a href="/">Back to the start</a></p>
{{end}}`,
}

// parsePages parses the layout with each page.
func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageHTML))
	for name, body := range pageHTML {
		t, err := template.New("layout").Parse(layoutHTML)
		if err != nil {
			return nil, err
		}
		if _, err := t.Parse(body); err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

const styleCSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;background:#f5f7fa}
header{background:#1f2933;padding:14px 24px}
header .brand{color:#fff;font-weight:600;text-decoration:none}
main{max-width:640px;margin:32px auto;padding:28px 32px;background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{margin-top:0;font-size:1.6em}
h2{font-size:1.15em;margin-top:28px}
button{font:inherit;padding:9px 18px;border-radius:6px;border:1px solid #cbd2d9;background:#fff;cursor:pointer}
button.primary{background:#3a36db;border-color:#3a36db;color:#fff;font-weight:600;padding:12px 22px}
button.primary:hover{background:#2b28b8}
.status{font-size:1.25em;padding:12px 16px;border-radius:8px;background:#fff8e1;border:1px solid #f0c36d}
.status-approved{background:#e8f7ee;border-color:#57ae7a}
.status-rejected,.status-expired{background:#fdecea;border-color:#e08a80}
table{border-collapse:collapse;width:100%;margin-bottom:24px}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e4e7eb}
th{font-size:.85em;text-transform:uppercase;color:#616e7c}
td.outcome-approved{color:#1e7b45;font-weight:600}
td.outcome-rejected,td.outcome-expired{color:#b3261e;font-weight:600}
iframe.journey{width:100%;height:420px;border:1px solid #e4e7eb;border-radius:8px}
footer{text-align:center;color:#7b8794;font-size:.85em}
`

// serveCSS serves the stylesheet (the pages' CSP allows style-src 'self'
// only, no inline styles).
func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(styleCSS))
}
