package web

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/render"
)

// RelatedItem is an article or a document listed on a member's profile, a
// crisis page or in the member area.
type RelatedItem struct {
	Type        string // "article" or "document"
	Title       string
	URL         string
	Date        time.Time
	MembersOnly bool
}

// Related finds published articles and documents through the shared tags
// and by the organisation they were published for. The publishing and
// library areas implement it; withMembersOnly includes members-only items
// (the viewer is a member or staff).
type Related interface {
	ForTags(ctx context.Context, tagIDs []int64, limit int, withMembersOnly bool) ([]RelatedItem, error)
	ByOrganisation(ctx context.Context, orgID int64, limit int, withMembersOnly bool) ([]RelatedItem, error)
	// MembersOnly lists the newest members-only articles, documents and
	// lists, for the member area.
	MembersOnly(ctx context.Context, limit int) ([]RelatedItem, error)
}

// seesMembersOnly reports whether u may see members-only material: staff,
// and people of a member organisation. This is the one rule every area uses.
func seesMembersOnly(u *accounts.User) bool {
	return u.IsStaff() || u != nil && u.Role == accounts.RoleMember && u.OrganisationID != 0 && !u.Disabled
}

// markdown renders the Markdown that members and staff write outside
// articles (member profiles, submissions, crisis pages, appeal descriptions)
// with the site's one renderer: sanitised, with e-mail addresses cloaked.
func (s *Server) markdown(src string) template.HTML {
	doc, err := render.Markdown(src, render.Options{CloakURL: func(addr string) string { return "/contact/" + s.cloakToken(addr) }})
	if err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>") //nolint:gosec // escaped
	}
	return doc.HTML
}

// memberLimits registers the rate limits of the join form and the member area.
func (s *Server) memberLimits() {
	s.limits.setRule("join", 10*time.Minute, 5)
	s.limits.setRule("join-answer", time.Minute, 10)
	s.limits.setRule("member-invite", time.Minute, 20)
	s.limits.setRule("member-submit", time.Minute, 20)
}

// formErrors maps form fields to messages, plus a summary for the top of the form.
type formErrors map[string]string

// add records err if it is an invalid-input error and reports whether it was.
func (fe formErrors) add(err error) bool {
	ie, ok := errs.AsInvalid(err)
	if !ok {
		return false
	}
	f := ie.Field
	if f == "" {
		f = "form"
	}
	fe[f] = ie.Msg
	return true
}

// Summary is the first message, for the error summary at the top.
func (fe formErrors) Summary() string {
	for _, k := range []string{"form", "state"} {
		if m, ok := fe[k]; ok {
			return m
		}
	}
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return fe[keys[0]]
}

// staffRecipients are the addresses that hear of applications and
// submissions: the secretariat's address from the settings when set,
// otherwise every active admin and editor.
func (s *Server) staffRecipients(ctx context.Context) ([]string, error) {
	site, err := s.Settings.Get(ctx)
	if err != nil {
		return nil, err
	}
	if site.ContactEmail != "" {
		return []string{site.ContactEmail}, nil
	}
	users, err := s.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range users {
		if u.IsStaff() && !u.Disabled {
			out = append(out, u.Email)
		}
	}
	return out, nil
}

// signature ends every e-mail of this area.
func (s *Server) signature(ctx context.Context) string {
	site, err := s.Settings.Get(ctx)
	if err != nil {
		s.Log.Warn("settings for a mail signature", "err", err)
	}
	return "\n\n— " + site.OrgName + "\n" + s.Config.BaseURL + "/\n"
}

func (s *Server) orgName(ctx context.Context) string {
	site, err := s.Settings.Get(ctx)
	if err != nil {
		s.Log.Warn("settings", "err", err)
	}
	return site.OrgName
}

// actor is the signed-in user as the members area records them.
func actor(r *http.Request) members.Actor {
	u := userFrom(r.Context())
	if u == nil {
		return members.Actor{}
	}
	return members.Actor{ID: u.ID, Name: u.DisplayName()}
}

type membersPage struct {
	Base
	Orgs       []members.Organisation
	Tiers      []members.Tier
	Regions    []places.Tag
	Countries  []places.Country
	Region     string
	Country    string
	Tier       string
	Filtered   bool
	Map        CountryMap
	TierCounts map[string]int
}

// membersDirectory is /members: the public directory, filterable by region,
// country and tier with plain links and a GET form, with the map.
func (s *Server) membersDirectory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	p := &membersPage{Base: s.base(w, r, s.t(r, "Member organisations"))}
	p.Section = "members"
	p.Description = s.t(r, "The organisations that make up the coalition, by region, country and tier.")
	all, err := s.Members.List(ctx, members.Filter{PublicOnly: true})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Tiers, err = s.Members.Tiers(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	regions, err := s.Places.List(ctx, places.KindRegion)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Offer only the regions and countries where members are.
	haveRegion, haveCountry := map[string]bool{}, map[string]bool{}
	for _, o := range all {
		haveRegion[o.RegionSlug] = true
		haveCountry[o.Country] = true
	}
	for _, t := range regions {
		if haveRegion[t.Slug] {
			p.Regions = append(p.Regions, t)
		}
	}
	for _, c := range s.Places.Gaz.Countries {
		if haveCountry[c.ISO3] {
			p.Countries = append(p.Countries, c)
		}
	}
	slices.SortFunc(p.Countries, func(a, b places.Country) int { return strings.Compare(a.Name, b.Name) })
	// Unknown filter values are ignored rather than refused: a stale link
	// still shows the directory.
	if v := q.Get("region"); haveRegion[v] {
		p.Region = v
	}
	if v := strings.ToUpper(q.Get("country")); haveCountry[v] {
		p.Country = v
	}
	for _, t := range p.Tiers {
		if t.Slug == q.Get("tier") {
			p.Tier = t.Slug
		}
	}
	p.Filtered = p.Region != "" || p.Country != "" || p.Tier != ""
	counts := map[string]int{}
	items := map[string][]MapLink{}
	for _, o := range all {
		if (p.Region != "" && o.RegionSlug != p.Region) || (p.Country != "" && o.Country != p.Country) || (p.Tier != "" && o.TierSlug != p.Tier) {
			continue
		}
		p.Orgs = append(p.Orgs, o)
		if o.Country != "" {
			counts[o.Country]++
			items[o.Country] = append(items[o.Country], MapLink{Title: o.Name, URL: o.URL()})
		}
	}
	l := p.L
	p.Map = s.countMap(l, "members-map", s.t(r, "Where the member organisations are"), counts, func(n int) string {
		if n == 1 {
			return l.T("1 member organisation")
		}
		return l.T("%d member organisations", n)
	}, items)
	s.render(w, r, http.StatusOK, "pages/members", p)
}

// visibleOrg returns the organisation at {slug} if the viewer may see it:
// public profiles for everyone; hidden ones for staff and the
// organisation's own people. Otherwise ErrNotFound.
func (s *Server) visibleOrg(r *http.Request) (members.Organisation, error) {
	o, err := s.Members.BySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return o, err
	}
	if !o.Public {
		u := userFrom(r.Context())
		if !u.IsStaff() && (u == nil || u.OrganisationID != o.ID) {
			return members.Organisation{}, errs.ErrNotFound
		}
	}
	return o, nil
}

type memberProfilePage struct {
	Base
	Org         members.Organisation
	Description template.HTML
	News        []members.Submission
	Related     []RelatedItem
	HasRelated  bool
	Own         bool
}

// memberProfile is /members/{slug}.
func (s *Server) memberProfile(w http.ResponseWriter, r *http.Request) {
	o, err := s.visibleOrg(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	u := userFrom(ctx)
	p := &memberProfilePage{Base: s.base(w, r, o.Name), Org: o, Description: s.markdown(o.Description)}
	p.Section = "members"
	p.Own = u != nil && u.OrganisationID == o.ID
	if !o.Public {
		p.NoIndex = true
	}
	if p.News, err = s.Members.Published(ctx, o.ID, seesMembersOnly(u), 20); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Related != nil {
		p.HasRelated = true
		if p.Related, err = s.Related.ByOrganisation(ctx, o.ID, 20, seesMembersOnly(u)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "pages/member_profile", p)
}

// memberLogo serves a logo: always an image re-encoded by package members,
// PNG or JPEG, never the uploaded bytes.
func (s *Server) memberLogo(w http.ResponseWriter, r *http.Request) {
	o, err := s.visibleOrg(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.Members.Logo(r.Context(), o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.ContentType != "image/png" && l.ContentType != "image/jpeg" {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", l.ContentType)
	h.Set("Content-Disposition", "inline")
	if o.Public && r.URL.Query().Get("v") == strconv.FormatInt(l.UpdatedAt.Unix(), 10) {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	h.Set("ETag", fmt.Sprintf(`"%d-%d"`, o.ID, l.UpdatedAt.UnixNano()))
	http.ServeContent(w, r, "", l.UpdatedAt, bytes.NewReader(l.Data))
}

type memberNewsPage struct {
	Base
	Org  members.Organisation
	Sub  members.Submission
	Body template.HTML
}

// publishedSubmission finds an approved submission of the organisation at
// {slug} published as this area's own page at the request's path. Members-only
// items send visitors to sign in and are not found for anyone else.
func (s *Server) publishedSubmission(w http.ResponseWriter, r *http.Request, kind string) (members.Organisation, members.Submission, bool) {
	o, err := s.visibleOrg(r)
	if err != nil {
		s.fail(w, r, err)
		return o, members.Submission{}, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return o, members.Submission{}, false
	}
	sub, err := s.Members.Submission(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return o, sub, false
	}
	page := "/members/" + o.Slug + "/" + map[string]string{members.KindNews: "news", members.KindDocument: "documents"}[kind] + "/" + strconv.FormatInt(id, 10)
	if sub.OrganisationID != o.ID || sub.State != members.SubApproved || sub.Kind != kind || sub.PublishedURL != page {
		s.notFound(w, r)
		return o, sub, false
	}
	if sub.MembersOnly {
		u := userFrom(r.Context())
		if u == nil {
			http.Redirect(w, r, "/login?next="+page, http.StatusSeeOther)
			return o, sub, false
		}
		if !seesMembersOnly(u) {
			s.notFound(w, r)
			return o, sub, false
		}
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	return o, sub, true
}

// memberNews is /members/{slug}/news/{id}: approved news, published here
// while no Publisher is wired.
func (s *Server) memberNews(w http.ResponseWriter, r *http.Request) {
	o, sub, ok := s.publishedSubmission(w, r, members.KindNews)
	if !ok {
		return
	}
	p := &memberNewsPage{Base: s.base(w, r, sub.Title), Org: o, Sub: sub, Body: s.markdown(sub.Body)}
	p.Section = "members"
	p.Description = sub.Summary
	p.NoIndex = sub.MembersOnly
	s.render(w, r, http.StatusOK, "pages/member_news", p)
}

// memberDocument is /members/{slug}/documents/{id}.
func (s *Server) memberDocument(w http.ResponseWriter, r *http.Request) {
	o, sub, ok := s.publishedSubmission(w, r, members.KindDocument)
	if !ok {
		return
	}
	p := &memberNewsPage{Base: s.base(w, r, sub.Title), Org: o, Sub: sub, Body: s.markdown(sub.Body)}
	p.Section = "members"
	p.Description = sub.Summary
	p.NoIndex = sub.MembersOnly
	s.render(w, r, http.StatusOK, "pages/member_news", p)
}

// memberDocumentFile downloads a published document's file.
func (s *Server) memberDocumentFile(w http.ResponseWriter, r *http.Request) {
	_, sub, ok := s.publishedSubmission(w, r, members.KindDocument)
	if !ok {
		return
	}
	s.sendSubmissionFile(w, r, sub.ID)
}

// sendSubmissionFile sends a submitted file as a download, never inline.
func (s *Server) sendSubmissionFile(w http.ResponseWriter, r *http.Request, id int64) {
	f, err := s.Members.SubmissionFile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", mimeAttachment(f.Name))
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Data))
}

// mimeAttachment builds a Content-Disposition header for a download with an
// ASCII fallback name and the UTF-8 name (RFC 6266).
func mimeAttachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 32 || r > 126 || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-._~", b) >= 0 {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + enc.String()
}

// enqueueAll queues the same message to each address inside tx.
func (s *Server) enqueueAll(ctx context.Context, tx *sql.Tx, kind string, to []string, subject, body string) error {
	for _, a := range to {
		if err := s.Outbox.EnqueueTx(ctx, tx, kind, mail.Message{To: a, Subject: subject, Text: body}); err != nil {
			return err
		}
	}
	return nil
}
