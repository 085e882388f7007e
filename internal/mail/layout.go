package mail

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"
)

// Email is the content of one bulk or confirmation message before it is
// wrapped in the house layout.
type Email struct {
	Preheader string        // hidden preview line shown by mail clients
	Heading   string        // title at the top (may be empty)
	BodyHTML  template.HTML // sanitised HTML (links absolute)
	BodyText  string        // the same content as plain text
	// Footer: why the reader gets this, and the links every bulk message carries.
	Reason   string
	PrefsURL string
	UnsubURL string
	// WebURL is the message in the public archive (campaigns), if any.
	WebURL string
}

// layoutTmpl is a single-column table layout that reads well from 320px
// phones to desktop clients; styles are inline because mail clients drop
// <style> blocks.
var layoutTmpl = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;color:#1f2933;font-family:Helvetica,Arial,sans-serif;">
{{if .Preheader}}<div style="display:none;max-height:0;overflow:hidden;">{{.Preheader}}</div>{{end}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;"><tr><td align="center" style="padding:16px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px;background:#ffffff;border-radius:4px;">
<tr><td style="padding:20px 24px;border-bottom:4px solid #0b4f6c;font-size:18px;font-weight:bold;color:#0b4f6c;">{{.Org}}</td></tr>
<tr><td style="padding:24px;font-size:16px;line-height:1.55;">
{{if .WebURL}}<p style="font-size:13px;color:#52606d;margin:0 0 16px;"><a href="{{.WebURL}}" style="color:#0b4f6c;">View this e-mail in your browser</a></p>{{end}}
{{if .Heading}}<h1 style="font-size:24px;line-height:1.25;margin:0 0 16px;color:#1f2933;">{{.Heading}}</h1>{{end}}
{{.Body}}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e4e7eb;font-size:13px;line-height:1.5;color:#52606d;">
{{if .Reason}}<p style="margin:0 0 8px;">{{.Reason}}</p>{{end}}
{{if or .PrefsURL .UnsubURL}}<p style="margin:0 0 8px;">{{if .PrefsURL}}<a href="{{.PrefsURL}}" style="color:#0b4f6c;">Manage your subscription</a>{{end}}{{if and .PrefsURL .UnsubURL}} · {{end}}{{if .UnsubURL}}<a href="{{.UnsubURL}}" style="color:#0b4f6c;">Unsubscribe</a>{{end}}</p>{{end}}
<p style="margin:0;">{{.Org}}{{range .Address}}<br>{{.}}{{end}}</p>
</td></tr></table></td></tr></table></body></html>`))

// Compose wraps an e-mail in the house layout with the organisation's name
// and postal address, returning the HTML and plain-text parts. Read it
// before opening a write transaction (it reads the settings).
func (s *Service) Compose(ctx context.Context, e Email) (htmlPart, textPart string, err error) {
	set, err := s.settings.Get(ctx)
	if err != nil {
		return "", "", err
	}
	return composeWith(set.OrgName, set.PostalAddress, e)
}

func composeWith(org, address string, e Email) (string, string, error) {
	var lines []string
	for _, l := range strings.Split(address, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var b bytes.Buffer
	err := layoutTmpl.Execute(&b, struct {
		Email
		Org     string
		Address []string
		Body    template.HTML
	}{e, org, lines, e.BodyHTML})
	if err != nil {
		return "", "", fmt.Errorf("mail layout: %w", err)
	}
	var t strings.Builder
	if e.WebURL != "" {
		t.WriteString("View in your browser: " + e.WebURL + "\n\n")
	}
	if e.Heading != "" {
		t.WriteString(e.Heading + "\n" + strings.Repeat("=", min(len([]rune(e.Heading)), 72)) + "\n\n")
	}
	t.WriteString(strings.TrimSpace(e.BodyText))
	t.WriteString("\n\n-- \n")
	if e.Reason != "" {
		t.WriteString(e.Reason + "\n")
	}
	if e.PrefsURL != "" {
		t.WriteString("Manage your subscription: " + e.PrefsURL + "\n")
	}
	if e.UnsubURL != "" {
		t.WriteString("Unsubscribe: " + e.UnsubURL + "\n")
	}
	t.WriteString(org + "\n")
	for _, l := range lines {
		t.WriteString(l + "\n")
	}
	return b.String(), t.String(), nil
}
