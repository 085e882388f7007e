package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coalition/internal/audit"
	"coalition/internal/errs"
	"coalition/internal/i18n"
	"coalition/internal/mail"
)

// campaignStates are the campaign list's status filter, with labels.
var campaignStates = []struct{ Value, Label string }{
	{mail.CampaignDraft, "Draft"},
	{mail.CampaignScheduled, "Scheduled"},
	{mail.CampaignSending, "Sending"},
	{mail.CampaignSent, "Sent"},
	{mail.CampaignCancelled, "Cancelled"},
}

func campaignStateLabel(st string) string {
	for _, s := range campaignStates {
		if s.Value == st {
			return s.Label
		}
	}
	return st
}

type campaignRow struct {
	mail.Campaign
	StateLabel string
	Stats      mail.CampaignStats
	HasStats   bool
	Lists      []string
}

type adminCampaignsPage struct {
	Base
	Rows   []campaignRow
	Pager  Pager
	Status string
	States []struct{ Value, Label string }
}

func listNames(lists []mail.List) map[int64]string {
	m := make(map[int64]string, len(lists))
	for _, l := range lists {
		m[l.ID] = l.Name
	}
	return m
}

func (s *Server) adminCampaigns(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := mail.CampaignFilter{}
	for _, st := range campaignStates {
		if r.URL.Query().Get("status") == st.Value {
			f.Status = st.Value
		}
	}
	pg := pageParam(r)
	const per = 30
	f.Limit, f.Offset = per, (pg-1)*per
	cs, total, err := s.Mail.Campaigns(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lists, err := s.Mail.Lists(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := listNames(lists)
	p := &adminCampaignsPage{Base: s.adminBase(w, r, s.t(r, "Campaigns"), "campaigns"), Pager: s.newPager(r, pg, per, total),
		Status: f.Status, States: campaignStates}
	for _, c := range cs {
		row := campaignRow{Campaign: c, StateLabel: campaignStateLabel(c.Status)}
		for _, id := range c.ListIDs {
			if n, ok := names[id]; ok {
				row.Lists = append(row.Lists, n)
			}
		}
		if c.Status != mail.CampaignDraft && c.Status != mail.CampaignScheduled {
			if row.Stats, err = s.Mail.Stats(ctx, c.ID); err != nil {
				s.fail(w, r, err)
				return
			}
			row.HasStats = true
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(w, r, http.StatusOK, "admin/campaigns", p)
}

// campaignForm is the compose form as typed.
type campaignForm struct {
	Subject    string
	Preheader  string
	Body       string
	ArticleIDs []int64
	ListIDs    []int64
	Archive    bool
}

func (f campaignForm) input() mail.CampaignInput {
	return mail.CampaignInput{Subject: f.Subject, Preheader: f.Preheader, Body: f.Body, ArticleIDs: f.ArticleIDs, ListIDs: f.ListIDs, Archive: f.Archive}
}

// HasArticle and HasList tell the checkboxes whether they are ticked.
func (f campaignForm) HasArticle(id int64) bool { return idSet(f.ArticleIDs)[id] }

// HasList reports whether the form has the list.
func (f campaignForm) HasList(id int64) bool { return idSet(f.ListIDs)[id] }

func readCampaignForm(r *http.Request) campaignForm {
	return campaignForm{Subject: strings.TrimSpace(r.PostFormValue("subject")), Preheader: strings.TrimSpace(r.PostFormValue("preheader")),
		Body: r.PostFormValue("body"), ArticleIDs: formIDs(r.PostForm["articles"]), ListIDs: formIDs(r.PostForm["lists"]),
		Archive: r.PostFormValue("archive") == "1"}
}

func formFromCampaign(c mail.Campaign) campaignForm {
	return campaignForm{Subject: c.Subject, Preheader: c.Preheader, Body: c.Body, ArticleIDs: c.ArticleIDs, ListIDs: c.ListIDs, Archive: c.Archive}
}

// figures are a campaign's numbers formatted for the page and the live
// progress events (the same keys: the script copies them into
// data-stat elements).
type figures struct {
	Status    string            `json:"status"`
	Label     string            `json:"label"`
	Total     int               `json:"total"`
	Sent      int               `json:"sent"`
	Failed    int               `json:"failed"`
	Remaining int               `json:"remaining"`
	Done      int               `json:"done"` // sent + failed: the progress bar's value
	Percent   int               `json:"percent"`
	Finished  bool              `json:"finished"` // sent or cancelled: the stream ends
	Tracking  bool              `json:"-"`        // --mail-tracking: opens are counted (Text["opens"])
	Text      map[string]string `json:"text"`
}

func (s *Server) figuresOf(r *http.Request, st mail.CampaignStats) figures {
	l := s.locale(r)
	f := figures{Status: st.Status, Label: l.T(campaignStateLabel(st.Status)), Total: st.Total, Sent: st.Sent, Failed: st.Failed,
		Remaining: st.Remaining, Done: st.Sent + st.Failed,
		Finished: st.Status == mail.CampaignSent || st.Status == mail.CampaignCancelled}
	if st.Total > 0 {
		f.Percent = min(100, f.Done*100/st.Total)
	}
	rate := "–"
	if st.Rate > 0 {
		rate = l.T("%s a second", strconv.FormatFloat(math.Round(st.Rate*10)/10, 'f', -1, 64))
	}
	left := "–"
	if st.TimeLeft > 0 && !f.Finished {
		left = durationText(l, st.TimeLeft)
	}
	f.Text = map[string]string{
		"status": f.Label, "total": l.Number(int64(st.Total)), "sent": l.Number(int64(st.Sent)), "failed": l.Number(int64(st.Failed)),
		"remaining": l.Number(int64(st.Remaining)), "rate": rate, "time_left": left, "percent": l.T("%d%%", f.Percent),
		"bounces": l.Number(int64(st.Bounces)), "unsubs": l.Number(int64(st.Unsubs)),
	}
	if s.Mail.Tracking() {
		f.Tracking = true
		pct := 0
		if st.Sent > 0 {
			pct = min(100, st.Opens*100/st.Sent)
		}
		f.Text["opens"] = l.T("Opened by %s (%d%%)", l.Number(int64(st.Opens)), pct)
	}
	return f
}

// durationText says roughly how long is left: "2 h 5 min", "12 min", "40 s".
func durationText(l *i18n.Locale, d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return l.T("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return l.T("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return l.T("%d s", int(d.Seconds()))
	}
}

// articlePick is one checkbox of the article picker.
type articlePick struct {
	mail.Article
	Chosen bool
	Older  bool // chosen earlier, no longer among the recent articles offered
}

type adminCampaignPage struct {
	Base
	Campaign *mail.Campaign
	State    string
	Form     campaignForm
	Errors   formErrors // the compose form's
	Lists    []mail.List
	Articles []mail.Article
	// Picks are the article picker's checkboxes: the chosen articles in
	// their order, then the other recent ones.
	Picks    []articlePick
	Editable bool
	Figures  figures
	// Actions: what was typed and what went wrong (keyed by action).
	TestTo     string
	ScheduleAt string
	Acts       formErrors
	ArchiveURL string
	Now        string // UTC, for the schedule field's min
	NowText    string
}

func (p *adminCampaignPage) is(st string) bool { return p.Campaign != nil && p.Campaign.Status == st }

// Draft, Scheduled, Sending, Sent and Cancelled tell the template the state.
func (p *adminCampaignPage) Draft() bool { return p.is(mail.CampaignDraft) }

// Scheduled reports whether the campaign waits for its time.
func (p *adminCampaignPage) Scheduled() bool { return p.is(mail.CampaignScheduled) }

// Sending reports whether the campaign is going out.
func (p *adminCampaignPage) Sending() bool { return p.is(mail.CampaignSending) }

// Sent reports whether the campaign has gone out.
func (p *adminCampaignPage) Sent() bool { return p.is(mail.CampaignSent) }

// Cancelled reports whether the campaign was stopped.
func (p *adminCampaignPage) Cancelled() bool { return p.is(mail.CampaignCancelled) }

func (s *Server) renderCampaign(w http.ResponseWriter, r *http.Request, status int, p *adminCampaignPage) {
	ctx := r.Context()
	var err error
	if p.Lists, err = s.Mail.Lists(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Errors == nil {
		p.Errors = formErrors{}
	}
	if p.Acts == nil {
		p.Acts = formErrors{}
	}
	p.Editable = p.Campaign == nil || p.Draft() || p.Scheduled()
	if p.Editable {
		if p.Articles, err = s.Mail.RecentArticles(ctx, 30); err != nil {
			s.fail(w, r, err)
			return
		}
		// Chosen articles first, in the order (saving keeps it), then the others.
		offered := map[int64]mail.Article{}
		for _, a := range p.Articles {
			offered[a.ID] = a
		}
		for _, id := range p.Form.ArticleIDs {
			a, ok := offered[id]
			if !ok {
				a = mail.Article{ID: id}
			}
			p.Picks = append(p.Picks, articlePick{Article: a, Chosen: true, Older: !ok})
		}
		for _, a := range p.Articles {
			if !p.Form.HasArticle(a.ID) {
				p.Picks = append(p.Picks, articlePick{Article: a})
			}
		}
	}
	if c := p.Campaign; c != nil {
		p.State = campaignStateLabel(c.Status)
		st, err := s.Mail.Stats(ctx, c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Figures = s.figuresOf(r, st)
		if c.Archive && c.Slug != "" && c.Status == mail.CampaignSent {
			p.ArchiveURL = "/newsletters/" + url.PathEscape(c.Slug)
		}
		if p.TestTo == "" && p.User != nil {
			p.TestTo = p.User.Email
		}
		if p.ScheduleAt == "" && !c.ScheduledAt.IsZero() {
			p.ScheduleAt = c.ScheduledAt.UTC().Format("2006-01-02T15:04")
		}
	}
	p.Now = s.Now().UTC().Format("2006-01-02T15:04")
	p.NowText = s.Now().UTC().Format("2006-01-02 15:04")
	s.render(w, r, status, "admin/campaign", p)
}

func (s *Server) adminNewCampaign(w http.ResponseWriter, r *http.Request) {
	p := &adminCampaignPage{Base: s.adminBase(w, r, s.t(r, "New campaign"), "campaigns"), Form: campaignForm{Archive: true}}
	s.renderCampaign(w, r, http.StatusOK, p)
}

// loadCampaign reads the {id} of the path; it answers 404 itself.
func (s *Server) loadCampaign(w http.ResponseWriter, r *http.Request) (mail.Campaign, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return mail.Campaign{}, false
	}
	c, err := s.Mail.GetCampaign(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return mail.Campaign{}, false
	}
	return c, true
}

func (s *Server) adminCampaign(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadCampaign(w, r)
	if !ok {
		return
	}
	p := &adminCampaignPage{Base: s.adminBase(w, r, c.Subject, "campaigns"), Campaign: &c, Form: formFromCampaign(c)}
	s.renderCampaign(w, r, http.StatusOK, p)
}

// adminSaveCampaign creates a draft (POST /admin/campaigns) or saves one
// (POST /admin/campaigns/{id}); "Save and preview" goes to the preview.
func (s *Server) adminSaveCampaign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := readCampaignForm(r)
	var (
		c   mail.Campaign
		err error
	)
	creating := r.PathValue("id") == ""
	if creating {
		c, err = s.Mail.CreateCampaign(ctx, f.input(), userFrom(ctx).ID)
	} else {
		var ok bool
		if c, ok = s.loadCampaign(w, r); !ok {
			return
		}
		err = s.Mail.UpdateCampaign(ctx, c.ID, f.input())
	}
	if fe := (formErrors{}); fe.add(err) {
		title := s.t(r, "New campaign")
		p := &adminCampaignPage{Form: f, Errors: fe}
		if !creating {
			title, p.Campaign = c.Subject, &c
		}
		p.Base = s.adminBase(w, r, title, "campaigns")
		s.renderCampaign(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	action := "mail.campaign.update"
	if creating {
		action = "mail.campaign.create"
	}
	s.audit(r, audit.Entry{Action: action, Target: campaignTarget(c.ID), Detail: f.Subject})
	base := "/admin/campaigns/" + strconv.FormatInt(c.ID, 10)
	if r.PostFormValue("action") == "preview" {
		http.Redirect(w, r, base+"/preview", http.StatusSeeOther)
		return
	}
	s.flash(w, r, s.t(r, "The campaign is saved."))
	http.Redirect(w, r, base, http.StatusSeeOther)
}

type adminCampaignPreviewPage struct {
	Base
	Campaign mail.Campaign
	R        mail.Rendered
}

// adminPreviewCampaign shows the e-mail as a recipient sees it: the admin
// page frames the HTML part (?raw=1), served alone under a sandboxing
// policy since it is e-mail HTML with inline styles.
func (s *Server) adminPreviewCampaign(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadCampaign(w, r)
	if !ok {
		return
	}
	rd, err := s.Mail.Preview(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("raw") == "1" {
		h := w.Header()
		img := "'self' data:"
		if u, err := url.Parse(s.Config.BaseURL); err == nil && u.Host != "" {
			img += " " + u.Scheme + "://" + u.Host
		}
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src "+img+"; frame-ancestors 'self'")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "private, no-store")
		h.Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write([]byte(rd.HTML)) //nolint:errcheck // the client has gone
		return
	}
	p := &adminCampaignPreviewPage{Base: s.adminBase(w, r, s.t(r, "Preview: %s", c.Subject), "campaigns"), Campaign: c, R: rd}
	s.render(w, r, http.StatusOK, "admin/campaign_preview", p)
}

// adminCampaignProgress streams a campaign's figures as server-sent events,
// one a second, until it is sent or cancelled or the browser goes away.
// The stream also ends after a few minutes (the browser reconnects by
// itself) so that it never outlives the server's write timeout.
func (s *Server) adminCampaignProgress(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadCampaign(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.Now().Add(4 * time.Minute)
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck // unsupported writers keep the server's timeout
		st, err := s.Mail.Stats(ctx, c.ID)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("campaign progress", "campaign", c.ID, "err", err)
			}
			return
		}
		f := s.figuresOf(r, st)
		b, err := json.Marshal(f)
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if f.Finished || (st.Status != mail.CampaignSending && st.Status != mail.CampaignScheduled) || time.Now().After(end) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// campaignActions are the buttons of a campaign page, with what they say
// once done.
var campaignActions = map[string]string{
	"test":       "The test e-mail is on its way.",
	"schedule":   "The campaign is scheduled.",
	"unschedule": "The campaign is back to draft; it will not be sent until you schedule or send it.",
	"send":       "The campaign is being sent.",
	"cancel":     "Sending is stopped. What was sent stays sent.",
	"delete":     "The campaign is deleted.",
}

func (s *Server) adminCampaignAction(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	msg, known := campaignActions[action]
	if !known {
		s.notFound(w, r)
		return
	}
	c, ok := s.loadCampaign(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p := &adminCampaignPage{Campaign: &c, Form: formFromCampaign(c), Acts: formErrors{},
		TestTo: strings.TrimSpace(r.PostFormValue("to")), ScheduleAt: strings.TrimSpace(r.PostFormValue("at"))}
	detail := ""
	var err error
	switch action {
	case "test":
		addrs := splitAddresses(p.TestTo)
		if len(addrs) == 0 {
			err = errs.Invalid("to", s.t(r, "Enter at least one address to send the test to."))
			break
		}
		detail = strings.Join(addrs, ", ")
		err = s.Mail.SendTest(ctx, c.ID, addrs)
	case "schedule":
		at, perr := parseScheduleTime(p.ScheduleAt)
		if perr != nil {
			err = errs.Invalid("at", s.t(r, "Enter the date and time to send, in UTC (like 2026-05-31 09:00)."))
			break
		}
		detail = at.Format(time.RFC3339)
		msg = s.t(r, "The campaign is scheduled for %s UTC.", at.Format("2006-01-02 15:04"))
		err = s.Mail.Schedule(ctx, c.ID, at)
	case "unschedule":
		err = s.Mail.Unschedule(ctx, c.ID)
	case "send":
		if r.PostFormValue("sure") != "1" {
			err = errs.Invalid("send", s.t(r, "Tick “I am sure” to send the campaign now."))
			break
		}
		err = s.Mail.Send(ctx, c.ID)
	case "cancel":
		err = s.Mail.Cancel(ctx, c.ID)
	case "delete":
		err = s.Mail.DeleteCampaign(ctx, c.ID)
	}
	if ie, ok := errs.AsInvalid(err); ok {
		p.Acts[action] = ie.Msg
		p.Base = s.adminBase(w, r, c.Subject, "campaigns")
		s.renderCampaign(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, audit.Entry{Action: "mail.campaign." + action, Target: campaignTarget(c.ID), Detail: clipString(detail, 500)})
	if action != "schedule" {
		msg = s.t(r, msg)
	}
	s.flash(w, r, msg)
	if action == "delete" {
		http.Redirect(w, r, "/admin/campaigns", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/campaigns/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// splitAddresses splits a typed list of addresses on commas, semicolons and
// spaces.
func splitAddresses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// parseScheduleTime reads a datetime-local value as UTC.
func parseScheduleTime(v string) (time.Time, error) {
	v = strings.Replace(strings.TrimSpace(v), " ", "T", 1)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Invalid("at", "bad time")
}

func campaignTarget(id int64) string { return "campaign:" + strconv.FormatInt(id, 10) }
