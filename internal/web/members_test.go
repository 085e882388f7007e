package web_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

// waitMail waits for a message to addr whose subject contains subj.
func waitMail(t *testing.T, smtp *testkit.SMTPServer, addr, subj string) testkit.Mail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range smtp.To(addr) {
			if strings.Contains(m.Header("Subject"), subj) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got []string
	for _, m := range smtp.Messages() {
		got = append(got, strings.Join(m.To, ",")+": "+m.Header("Subject"))
	}
	t.Fatalf("no mail to %s about %q; got %q", addr, subj, got)
	return testkit.Mail{}
}

var (
	appLinkRe     = regexp.MustCompile(`https?://\S+(/join/application/\d+/[A-Za-z0-9_-]+)`)
	welcomeLinkRe = regexp.MustCompile(`https?://\S+(/welcome/[A-Za-z0-9_-]+)`)
)

func joinValues(tier int64) url.Values {
	return url.Values{"org_name": {"Voix du Kivu"}, "country": {"COD"}, "website": {"voix-kivu.example.org"},
		"description": {"We document attacks on civilians in North Kivu."}, "contact_name": {"Esther Mwamba"},
		"contact_email": {"esther@voix-kivu.example.org"}, "tier": {itoa(tier)},
		"statement": {"We have monitored attacks on villages since 2015 and endorse the charter."}}
}

func tierBySlug(t *testing.T, site *testkit.Site, slugv string) int64 {
	t.Helper()
	tiers, err := site.App.Members.Tiers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range tiers {
		if tr.Slug == slugv {
			return tr.ID
		}
	}
	t.Fatalf("no tier %s", slugv)
	return 0
}

// TestJoinWorkflow follows an application from the form to a signed-in
// member, with the e-mail of every step, on both databases.
func TestJoinWorkflow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		smtp := testkit.NewSMTP(t)
		site := testkit.NewSite(t, testkit.SiteOptions{DB: d, SMTP: smtp})
		site.AddUser(t, "staff@example.org", accounts.RoleEditor, "an editor password")
		member := tierBySlug(t, site, "member")
		visitor := site.NewClient(t)
		page := visitor.Get("/join")
		for _, want := range []string{"Member", "NGO Supporter", "Criteria", "Endorses the coalition", `name="nickname"`, `for="contact_email"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("/join lacks %q", want)
			}
		}
		bad := joinValues(member)
		bad.Set("contact_email", "not an address")
		r := visitor.Post("/join", bad)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "valid e-mail address") || !strings.Contains(r.Body, `value="Voix du Kivu"`) ||
			!strings.Contains(r.Body, `aria-invalid="true" aria-describedby="contact_email-error"`) {
			t.Fatalf("invalid application: %d", r.Status)
		}
		bot := joinValues(member)
		bot.Set("nickname", "I am a bot")
		if r := visitor.Post("/join", bot); r.Status != http.StatusSeeOther {
			t.Fatalf("honeypot: %d", r.Status)
		}
		if apps, _ := site.App.Members.Applications(context.Background(), "all"); len(apps) != 0 {
			t.Fatalf("the honeypot stored an application: %v", apps)
		}
		if r := visitor.Post("/join", joinValues(member)); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/join/thanks" {
			t.Fatalf("apply: %d %s", r.Status, r.Header.Get("Location"))
		}
		ack := waitMail(t, smtp, "esther@voix-kivu.example.org", "Your application")
		staffNote := waitMail(t, smtp, "staff@example.org", "New application: Voix du Kivu")
		link := appLinkRe.FindStringSubmatch(ack.Text)
		if link == nil || !strings.Contains(staffNote.Text, "/admin/applications/") {
			t.Fatalf("links: %q / %q", ack.Text, staffNote.Text)
		}
		own := link[1]
		if r := visitor.Get(own); r.Status != http.StatusOK || !strings.Contains(r.Body, "is reviewing your application") {
			t.Fatalf("applicant page: %d", r.Status)
		}
		forged := own[:len(own)-3] + "abc"
		if r := visitor.Get(forged); r.Status != http.StatusNotFound {
			t.Fatalf("forged link: %d", r.Status)
		}
		apps, _ := site.App.Members.Applications(context.Background(), "")
		if len(apps) != 1 {
			t.Fatalf("open applications: %v", apps)
		}
		appID := itoa(apps[0].ID)

		staff := site.NewClient(t)
		staff.Login("staff@example.org", "an editor password")
		if r := staff.Get("/admin/applications"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Voix du Kivu") {
			t.Fatalf("queue: %d", r.Status)
		}
		staff.Get("/admin/applications/" + appID)
		if r := staff.Post("/admin/applications/"+appID+"/ask", url.Values{"note": {""}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Write a note") {
			t.Fatalf("ask without a note: %d", r.Status)
		}
		if r := staff.Post("/admin/applications/"+appID+"/ask", url.Values{"note": {"Since when have you endorsed the charter?"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("ask: %d", r.Status)
		}
		q := waitMail(t, smtp, "esther@voix-kivu.example.org", "a question")
		if !strings.Contains(q.Text, "Since when have you endorsed the charter?") || !strings.Contains(q.Text, own) {
			t.Fatalf("question mail: %q", q.Text)
		}
		visitor.Get(own)
		answer := joinValues(member)
		answer.Set("answer", "Since our general assembly of March 2019.")
		answer.Set("org_name", "Voix du Kivu (VdK)")
		if r := visitor.Post(own, answer); r.Status != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
		ans := waitMail(t, smtp, "staff@example.org", "Application answered")
		if !strings.Contains(ans.Text, "March 2019") {
			t.Fatalf("answer mail: %q", ans.Text)
		}
		if r := visitor.Post(own, answer); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("answering twice: %d", r.Status)
		}
		staff.Get("/admin/applications/" + appID)
		if r := staff.Post("/admin/applications/"+appID+"/approve", url.Values{"note": {"Welcome aboard."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		welcome := waitMail(t, smtp, "esther@voix-kivu.example.org", "Welcome to")
		wl := welcomeLinkRe.FindStringSubmatch(welcome.Text)
		if wl == nil || !strings.Contains(welcome.Text, "Welcome aboard.") || !strings.Contains(welcome.Text, "/members/voix-du-kivu-vdk") {
			t.Fatalf("welcome mail: %q", welcome.Text)
		}
		if r := visitor.Get(own); !strings.Contains(r.Body, "has been approved") {
			t.Fatal("the applicant's page does not show the approval")
		}
		// The invited contact chooses a password, signs in and reaches the member area.
		esther := site.NewClient(t)
		esther.Get(wl[1])
		if r := esther.Post(wl[1], url.Values{"password": {"kivu member password"}, "confirm": {"kivu member password"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("set password: %d", r.Status)
		}
		esther.Login("esther@voix-kivu.example.org", "kivu member password")
		if r := esther.Get("/member"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Voix du Kivu (VdK)") || !strings.Contains(r.Body, "Invite a colleague") {
			t.Fatalf("member area: %d", r.Status)
		}
		if r := esther.Get("/admin"); r.Status != http.StatusForbidden {
			t.Fatalf("member reaches the admin: %d", r.Status)
		}
		if r := visitor.Get("/members"); !strings.Contains(r.Body, `href="/members/voix-du-kivu-vdk"`) || !strings.Contains(r.Body, `href="/countries/COD"`) {
			t.Fatal("the new member is not in the directory or on its map")
		}
		// A second application, rejected with a note.
		v2 := joinValues(member)
		v2.Set("contact_email", "other@example.net")
		v2.Set("org_name", "Other Org")
		visitor.Get("/join")
		visitor.Post("/join", v2)
		apps, _ = site.App.Members.Applications(context.Background(), "")
		if len(apps) != 1 {
			t.Fatalf("second application: %v", apps)
		}
		staff.Get("/admin/applications/" + itoa(apps[0].ID))
		if r := staff.Post("/admin/applications/"+itoa(apps[0].ID)+"/reject", url.Values{"note": {"Your work is outside our mandate."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reject: %d", r.Status)
		}
		rej := waitMail(t, smtp, "other@example.net", "decision")
		if !strings.Contains(rej.Text, "outside our mandate") {
			t.Fatalf("rejection mail: %q", rej.Text)
		}
	})
}

type memberSite struct {
	site    *testkit.Site
	smtp    *testkit.SMTPServer
	orgA    members.Organisation
	orgB    members.Organisation
	adminA  *testkit.Client // organisation admin of A
	colA    *testkit.Client // colleague of A (not an org admin)
	adminB  *testkit.Client
	editor  *testkit.Client
	visitor *testkit.Client
}

// newMemberSite makes two organisations, A (public) and B (hidden), each
// with people who have signed in.
func newMemberSite(t *testing.T, d *db.DB) *memberSite {
	t.Helper()
	smtp := testkit.NewSMTP(t)
	site := testkit.NewSite(t, testkit.SiteOptions{DB: d, SMTP: smtp})
	ctx := context.Background()
	m := site.App.Members
	tier := tierBySlug(t, site, "member")
	a, err := m.Create(ctx, members.OrgInput{Name: "Alpha Watch", Country: "KEN", TierID: tier, Public: true, ContactEmail: "hello@alpha.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Create(ctx, members.OrgInput{Name: "Beta Rights", Country: "COL", TierID: tier, Public: false})
	if err != nil {
		t.Fatal(err)
	}
	ms := &memberSite{site: site, smtp: smtp, orgA: a, orgB: b}
	person := func(org int64, email string, admin bool) *testkit.Client {
		inv, err := m.InvitePerson(ctx, org, email, "", admin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := site.App.Accounts.UseToken(ctx, inv.Token, accounts.PurposeInvite, "member password 123"); err != nil {
			t.Fatal(err)
		}
		c := site.NewClient(t)
		c.Login(email, "member password 123")
		return c
	}
	ms.adminA = person(a.ID, "admin@alpha.example.org", true)
	ms.colA = person(a.ID, "colleague@alpha.example.org", false)
	ms.adminB = person(b.ID, "admin@beta.example.org", true)
	site.AddUser(t, "editor@example.org", accounts.RoleEditor, "an editor password")
	ms.editor = site.NewClient(t)
	ms.editor.Login("editor@example.org", "an editor password")
	ms.visitor = site.NewClient(t)
	return ms
}

func TestMemberPermissions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ms := newMemberSite(t, d)
		ctx := context.Background()
		a, b := ms.orgA, ms.orgB
		// A's admin edits A; a forged organisation id in the form changes nothing of B.
		ms.adminA.Get("/member/profile")
		r := ms.adminA.Post("/member/profile", url.Values{"name": {"Alpha Watch Kenya"}, "country": {"KEN"}, "public": {"1"},
			"id": {itoa(b.ID)}, "organisation_id": {itoa(b.ID)}, "contact_email": {"hello@alpha.example.org"}, "description": {"We **watch**. <script>alert(1)</script>"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("edit own profile: %d %s", r.Status, r.Body)
		}
		if got, _ := ms.site.App.Members.ByID(ctx, a.ID); got.Name != "Alpha Watch Kenya" {
			t.Fatalf("A after edit: %+v", got)
		}
		if got, _ := ms.site.App.Members.ByID(ctx, b.ID); got.Name != "Beta Rights" {
			t.Fatalf("B changed by A's admin: %+v", got)
		}
		prof := ms.visitor.Get("/members/" + a.Slug)
		if prof.Status != http.StatusOK || !strings.Contains(prof.Body, "<strong>watch</strong>") || strings.Contains(prof.Body, "<script>alert") {
			t.Fatalf("profile: %d", prof.Status)
		}
		if strings.Contains(prof.Body, "hello@alpha.example.org") || !strings.Contains(prof.Body, `href="/contact/`) {
			t.Fatal("the contact address is not cloaked")
		}
		// A's people cannot reach B through the admin or B's people through the member area.
		for _, p := range []string{"/admin", "/admin/members", "/admin/members/" + itoa(b.ID), "/admin/applications", "/admin/submissions", "/admin/crises"} {
			if r := ms.adminA.Get(p); r.Status != http.StatusForbidden {
				t.Errorf("member GET %s: %d", p, r.Status)
			}
		}
		if r := ms.adminA.Post("/admin/members/"+itoa(b.ID), url.Values{"name": {"Hacked"}, "country": {"COL"}}); r.Status != http.StatusForbidden {
			t.Errorf("member POST admin edit of B: %d", r.Status)
		}
		peopleB, _ := ms.site.App.Members.People(ctx, b.ID)
		ms.adminA.Get("/member")
		if r := ms.adminA.Post("/member/people/"+itoa(peopleB[0].ID)+"/remove", nil); r.Status != http.StatusNotFound {
			t.Errorf("A removes B's admin: %d", r.Status)
		}
		if _, err := ms.site.App.Accounts.ByID(ctx, peopleB[0].ID); err != nil {
			t.Fatal("B's admin was removed by A")
		}
		// A colleague who is not the organisation's admin cannot edit the profile or invite.
		if r := ms.colA.Get("/member/profile"); r.Status != http.StatusForbidden {
			t.Errorf("colleague edits the profile: %d", r.Status)
		}
		ms.colA.Get("/member")
		if r := ms.colA.Post("/member/people", url.Values{"email": {"x@alpha.example.org"}}); r.Status != http.StatusForbidden {
			t.Errorf("colleague invites: %d", r.Status)
		}
		// The admin invites a colleague, who gets the link; then removes them.
		ms.adminA.Get("/member")
		if r := ms.adminA.Post("/member/people", url.Values{"email": {"new@alpha.example.org"}, "name": {"Newcomer"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("invite: %d %s", r.Status, r.Body)
		}
		inv := waitMail(t, ms.smtp, "new@alpha.example.org", "Your account")
		if welcomeLinkRe.FindStringSubmatch(inv.Text) == nil || !strings.Contains(inv.Text, "Alpha Watch Kenya") {
			t.Fatalf("invitation: %q", inv.Text)
		}
		newcomer, err := ms.site.App.Accounts.ByEmail(ctx, "new@alpha.example.org")
		if err != nil || newcomer.OrganisationID != a.ID || newcomer.Role != accounts.RoleMember {
			t.Fatalf("invited account: %+v %v", newcomer, err)
		}
		ms.adminA.Get("/member")
		if r := ms.adminA.Post("/member/people/"+itoa(newcomer.ID)+"/remove", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("remove: %d", r.Status)
		}
		// Hidden profiles: not for the public nor for other members; yes for their own people and staff.
		for name, c := range map[string]*testkit.Client{"visitor": ms.visitor, "member of A": ms.adminA} {
			if r := c.Get("/members/" + b.Slug); r.Status != http.StatusNotFound {
				t.Errorf("%s sees the hidden profile: %d", name, r.Status)
			}
		}
		if r := ms.visitor.Get("/members"); strings.Contains(r.Body, "Beta Rights") {
			t.Error("the hidden organisation is in the directory")
		}
		for name, c := range map[string]*testkit.Client{"B's admin": ms.adminB, "editor": ms.editor} {
			if r := c.Get("/members/" + b.Slug); r.Status != http.StatusOK || !strings.Contains(r.Body, "This profile is hidden") {
				t.Errorf("%s cannot see the hidden profile: %d", name, r.Status)
			}
		}
		// Members-only material: B submits members-only news; once approved,
		// members see it, visitors are asked to sign in.
		sub, err := ms.site.App.Members.Submit(ctx, a.ID, members.Actor{Name: "A"}, members.SubmissionInput{Kind: members.KindNews,
			Title: "Briefing for members", Body: "Confidential briefing.", MembersOnly: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		approved, err := ms.site.App.Members.ApproveSubmission(ctx, sub.ID, members.Actor{Name: "Editor"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Approved news is published as a members-only article.
		path := approved.PublishedURL
		if !strings.HasPrefix(path, "/articles/") {
			t.Fatalf("approved news published at %q", path)
		}
		if r := ms.visitor.Get(path); r.Status >= 500 || strings.Contains(r.Body, "Confidential briefing.") {
			t.Errorf("visitor opens members-only news: %d", r.Status)
		}
		if r := ms.adminB.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "Confidential briefing.") {
			t.Errorf("a member of another organisation cannot read members-only news: %d", r.Status)
		}
		if r := ms.adminB.Get("/member"); !strings.Contains(r.Body, "Briefing for members") {
			t.Error("the member area does not list members-only material")
		}
		if r := ms.visitor.Get("/members/" + a.Slug); strings.Contains(r.Body, "Briefing for members") {
			t.Error("members-only news listed on the public profile")
		}
		// A signed-in user without an organisation is no member.
		ms.site.AddUser(t, "loose@example.org", accounts.RoleMember, "a loose password")
		loose := ms.site.NewClient(t)
		loose.Login("loose@example.org", "a loose password")
		if r := loose.Get("/member"); r.Status != http.StatusForbidden {
			t.Errorf("member area without an organisation: %d", r.Status)
		}
		if r := loose.Get(path); r.Status >= 500 || strings.Contains(r.Body, "Confidential briefing.") {
			t.Errorf("members-only news for a user without an organisation: %d", r.Status)
		}
	})
}

// multipartPost sends a multipart form with one file, as a browser does.
func multipartPost(t *testing.T, c *testkit.Client, base, path string, fields url.Values, fileField, fileName string, data []byte) testkit.Response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if fields.Get("csrf_token") == "" {
		fields.Set("csrf_token", c.CSRF())
	}
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, base+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

func TestSubmissionsAndQueue(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ms := newMemberSite(t, d)
		ctx := context.Background()
		theme, err := ms.site.App.Places.Create(ctx, places.KindTheme, "Accountability", "")
		if err != nil {
			t.Fatal(err)
		}
		c := ms.colA
		if r := c.Get("/member/submit/news"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Accountability") {
			t.Fatalf("submit form: %d", r.Status)
		}
		if r := c.Post("/member/submissions", url.Values{"kind": {"news"}, "title": {""}, "body": {"x"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter a title") {
			t.Fatalf("no title: %d", r.Status)
		}
		r := c.Post("/member/submissions", url.Values{"kind": {"news"}, "title": {"Market attack in Garissa"}, "summary": {"What happened."},
			"body": {"Witnesses say **nine** people died. <script>alert(1)</script>"}, "countries": {"KEN"}, "themes": {itoa(theme.ID)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		subPath := r.Header.Get("Location")
		id := subPath[strings.LastIndexByte(subPath, '/')+1:]
		waitMail(t, ms.smtp, "editor@example.org", "New submission from Alpha Watch")
		waitMail(t, ms.smtp, "colleague@alpha.example.org", "Received: Market attack in Garissa")
		if r := c.Get(subPath); r.Status != http.StatusOK || !strings.Contains(r.Body, "Waiting for the editors") {
			t.Fatalf("submission page: %d", r.Status)
		}
		// Another organisation's people cannot see it.
		if r := ms.adminB.Get(subPath); r.Status != http.StatusNotFound {
			t.Fatalf("B sees A's submission: %d", r.Status)
		}
		ms.adminB.Get("/member")
		if r := ms.adminB.Post(subPath, url.Values{"title": {"Hijacked"}, "body": {"x"}}); r.Status != http.StatusNotFound {
			t.Fatalf("B edits A's submission: %d", r.Status)
		}
		ed := ms.editor
		if r := ed.Get("/admin/submissions"); !strings.Contains(r.Body, "Market attack in Garissa") {
			t.Fatal("not in the editorial queue")
		}
		ed.Get("/admin/submissions/" + id)
		if r := ed.Post("/admin/submissions/"+id, url.Values{"action": {"return"}, "note": {""}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("return without a note: %d", r.Status)
		}
		if r := ed.Post("/admin/submissions/"+id, url.Values{"action": {"return"}, "note": {"Please name your sources."}}); r.Status != http.StatusSeeOther {
			t.Fatalf("return: %d", r.Status)
		}
		ret := waitMail(t, ms.smtp, "colleague@alpha.example.org", "Returned with a note")
		if !strings.Contains(ret.Text, "Please name your sources.") || !strings.Contains(ret.Text, subPath) {
			t.Fatalf("return mail: %q", ret.Text)
		}
		if r := c.Get(subPath); !strings.Contains(r.Body, "Please name your sources.") || !strings.Contains(r.Body, "Send again") {
			t.Fatal("the member does not see the note")
		}
		if r := c.Post(subPath, url.Values{"title": {"Market attack in Garissa"}, "summary": {"What happened."},
			"body": {"Nine people died, according to the county hospital. <script>alert(1)</script>"}, "countries": {"KEN"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("resubmit: %d", r.Status)
		}
		waitMail(t, ms.smtp, "editor@example.org", "Submission changed by Alpha Watch")
		ed.Get("/admin/submissions/" + id)
		if r := ed.Post("/admin/submissions/"+id, url.Values{"action": {"approve"}, "title": {"Garissa: nine killed in a market attack"},
			"summary": {"What happened."}, "body": {"Nine people died, according to the county hospital. <script>alert(1)</script>"}, "countries": {"KEN"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		pub := waitMail(t, ms.smtp, "colleague@alpha.example.org", "Published: Garissa")
		// Approved news becomes an article of the site, under the organisation's name.
		newsPath := regexp.MustCompile(`/articles/[a-z0-9-]+`).FindString(pub.Text)
		if newsPath == "" {
			t.Fatalf("published mail: %q", pub.Text)
		}
		news := ms.visitor.Get(newsPath)
		if news.Status != http.StatusOK || !strings.Contains(news.Body, "Garissa: nine killed in a market attack") || strings.Contains(news.Body, "<script>alert") ||
			!strings.Contains(news.Body, "Alpha Watch") {
			t.Fatalf("published news: %d", news.Status)
		}
		if r := ms.visitor.Get("/members/" + ms.orgA.Slug); !strings.Contains(r.Body, newsPath) {
			t.Fatal("the news is not on the organisation's profile")
		}
		if r := c.Get(subPath); !strings.Contains(r.Body, "Published") || strings.Contains(r.Body, "Send again") {
			t.Fatal("the member does not see the submission as published")
		}
		// A document: the file is checked, kept, and served as a download.
		c.Get("/member/submit/document")
		bad := multipartPost(t, c, ms.site.URL, "/member/submissions", url.Values{"kind": {"document"}, "title": {"Annual report"}}, "file", "report.pdf", []byte("<html>not a pdf</html>"))
		if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "do not match") {
			t.Fatalf("fake PDF: %d", bad.Status)
		}
		ok := multipartPost(t, c, ms.site.URL, "/member/submissions", url.Values{"kind": {"document"}, "title": {"Annual report"}}, "file", "report 2025.pdf", []byte("%PDF-1.7 a small test file"))
		if ok.Status != http.StatusSeeOther {
			t.Fatalf("document: %d %s", ok.Status, ok.Body)
		}
		docPath := ok.Header.Get("Location")
		f := c.Get(docPath + "/file")
		if f.Status != http.StatusOK || f.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(f.Header.Get("Content-Disposition"), "attachment;") ||
			f.Body != "%PDF-1.7 a small test file" {
			t.Fatalf("download: %d %v", f.Status, f.Header)
		}
		if r := ms.adminB.Get(docPath + "/file"); r.Status != http.StatusNotFound {
			t.Fatalf("B downloads A's file: %d", r.Status)
		}
	})
}

func pngData(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogoUpload(t *testing.T) {
	ms := newMemberSite(t, testkit.NewSQLite(t))
	c := ms.adminA
	c.Get("/member/profile")
	fields := func() url.Values {
		return url.Values{"name": {"Alpha Watch"}, "country": {"KEN"}, "public": {"1"}}
	}
	r := multipartPost(t, c, ms.site.URL, "/member/profile", fields(), "logo", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "PNG or JPEG") {
		t.Fatalf("SVG logo: %d", r.Status)
	}
	c.Get("/member/profile")
	r = multipartPost(t, c, ms.site.URL, "/member/profile", fields(), "logo", "logo.png", pngData(t, 900, 300))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("PNG logo: %d %s", r.Status, r.Body)
	}
	prof := ms.visitor.Get("/members/" + ms.orgA.Slug)
	m := regexp.MustCompile(`src="(/members/[^"]+/logo\?v=\d+)"`).FindStringSubmatch(prof.Body)
	if m == nil {
		t.Fatal("no logo on the profile")
	}
	logo := ms.visitor.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if logo.Status != http.StatusOK || logo.Header.Get("Content-Type") != "image/png" || logo.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("logo: %d %v", logo.Status, logo.Header)
	}
	img, err := png.Decode(strings.NewReader(logo.Body))
	if err != nil || img.Bounds().Dx() != 512 {
		t.Fatalf("served logo: %v %v", err, img)
	}
	if r := ms.visitor.Get("/members/" + ms.orgB.Slug + "/logo"); r.Status != http.StatusNotFound {
		t.Fatalf("hidden organisation's logo: %d", r.Status)
	}
}
