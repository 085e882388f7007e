package members_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"testing"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/members"
	"coalition/internal/places"
	"coalition/internal/testkit"
)

func setup(t *testing.T, d *db.DB) (*members.Service, *accounts.Service, *places.Service) {
	t.Helper()
	p, err := places.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return members.New(d, p, nil), accounts.NewService(d, nil), p
}

func tierID(t *testing.T, m *members.Service, slugv string) int64 {
	t.Helper()
	tiers, err := m.Tiers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range tiers {
		if tr.Slug == slugv {
			return tr.ID
		}
	}
	t.Fatalf("no tier %s in %v", slugv, tiers)
	return 0
}

func field(err error) string {
	if ie, ok := errs.AsInvalid(err); ok {
		return ie.Field
	}
	return ""
}

func TestOrganisationsAndTiers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, _, _ := setup(t, d)
		tiers, err := m.Tiers(ctx)
		if err != nil || len(tiers) != 2 || tiers[0].Name != "Member" || tiers[1].Name != "NGO Supporter" || len(tiers[0].CriteriaList()) != 3 {
			t.Fatalf("default tiers: %+v %v", tiers, err)
		}
		member, supporter := tiers[0].ID, tiers[1].ID
		a, err := m.Create(ctx, members.OrgInput{Name: "  Action  pour la Paix ", Country: "sen", TierID: member, Website: "paix.example.org", Public: true,
			ContactEmail: "Info@Paix.example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Slug != "action-pour-la-paix" || a.Country != "SEN" || a.Region != "Africa" || a.RegionSlug != "africa" || a.Website != "https://paix.example.org" ||
			a.ContactEmail != "info@paix.example.org" || a.TierName != "Member" || a.JoinedAt.IsZero() {
			t.Fatalf("created: %+v", a)
		}
		b, err := m.Create(ctx, members.OrgInput{Name: "Action pour la paix", Country: "FRA", TierID: supporter, Public: false})
		if err != nil || b.Slug != "action-pour-la-paix-2" {
			t.Fatalf("second slug: %+v %v", b, err)
		}
		for _, bad := range []members.OrgInput{
			{Name: "", Country: "FRA", TierID: member},
			{Name: "X", Country: "XXX", TierID: member},
			{Name: "X", Country: "FRA", TierID: 999},
			{Name: "X", Country: "FRA", TierID: member, Website: "javascript:alert(1)"},
			{Name: "X", Country: "FRA", TierID: member, ContactEmail: "not an address"},
		} {
			if _, err := m.Create(ctx, bad); field(err) == "" {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		pub, err := m.List(ctx, members.Filter{PublicOnly: true})
		if err != nil || len(pub) != 1 || pub[0].ID != a.ID {
			t.Fatalf("public list: %v %v", pub, err)
		}
		if l, _ := m.List(ctx, members.Filter{Region: "europe"}); len(l) != 1 || l[0].ID != b.ID {
			t.Fatalf("region filter: %v", l)
		}
		if l, _ := m.List(ctx, members.Filter{Tier: "ngo-supporter", Country: "fra"}); len(l) != 1 || l[0].ID != b.ID {
			t.Fatalf("tier+country filter: %v", l)
		}
		if l, _ := m.ForRegion(ctx, "sub-saharan-africa"); len(l) != 1 || l[0].ID != a.ID {
			t.Fatalf("for sub-region: %v", l)
		}
		if l, _ := m.ForRegion(ctx, "europe"); len(l) != 0 {
			t.Fatalf("hidden organisation listed for its region: %v", l)
		}
		if l, _ := m.ForCountries(ctx, "SEN", "FRA"); len(l) != 1 || l[0].ID != a.ID {
			t.Fatalf("for countries (public only): %v", l)
		}
		if err := m.UpdateProfile(ctx, b.ID, members.ProfileInput{Name: "Paix France", Country: "FRA", Public: true, Description: "**Hello**"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.ByID(ctx, b.ID); got.Name != "Paix France" || !got.Public || got.Slug != "action-pour-la-paix-2" || got.TierID != supporter {
			t.Fatalf("after profile update: %+v", got)
		}
		joined := time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)
		if err := m.Update(ctx, b.ID, members.OrgInput{Name: "Paix France", Country: "FRA", TierID: member, JoinedAt: joined, Public: true}); err != nil {
			t.Fatal(err)
		}
		// A zero joining date leaves the date as it is.
		if err := m.Update(ctx, b.ID, members.OrgInput{Name: "Paix France", Country: "BEL", TierID: member, Public: false}); err != nil {
			t.Fatal(err)
		}
		if got, _ := m.ByID(ctx, b.ID); !got.JoinedAt.Equal(joined) || got.Country != "BEL" || got.Public || got.TierID != member {
			t.Fatalf("after staff update: %+v", got)
		}
		if err := m.Update(ctx, 999999, members.OrgInput{Name: "X", Country: "FRA", TierID: member}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("update of a missing organisation: %v", err)
		}
		if err := m.DeleteTier(ctx, member); field(err) != "tier" {
			t.Fatalf("deleting a used tier: %v", err)
		}
		nt, err := m.CreateTier(ctx, members.TierInput{Name: "Observer", Criteria: "Anyone", Position: 3})
		if err != nil || nt.Slug != "observer" {
			t.Fatalf("create tier: %+v %v", nt, err)
		}
		if err := m.DeleteTier(ctx, nt.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.BySlug(ctx, "../etc"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("bad slug: %v", err)
		}
		if err := m.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.ByID(ctx, a.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
	})
}

func pngBytes(t *testing.T, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, h/2, color.NRGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogo(t *testing.T) {
	d := testkit.NewSQLite(t)
	ctx := context.Background()
	m, _, _ := setup(t, d)
	o, err := m.Create(ctx, members.OrgInput{Name: "Logo Org", Country: "KEN", TierID: tierID(t, m, "member")})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetLogo(ctx, o.ID, pngBytes(t, 1600, 400)); err != nil {
		t.Fatal(err)
	}
	l, err := m.Logo(ctx, o.ID)
	if err != nil || l.ContentType != "image/png" || l.Width != 512 || l.Height != 128 {
		t.Fatalf("logo: %v %v %dx%d", err, l.ContentType, l.Width, l.Height)
	}
	if _, err := png.Decode(bytes.NewReader(l.Data)); err != nil {
		t.Fatalf("stored logo is not a PNG: %v", err)
	}
	if got, _ := m.ByID(ctx, o.ID); !got.HasLogo || got.LogoVersion == 0 {
		t.Fatalf("has logo: %+v", got)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	html := []byte("<html><script>alert(1)</script></html>")
	fake := append(append([]byte{}, pngMagic()...), []byte("not really a png")...)
	// A PNG header claiming 100000 × 100000 pixels: refused before decoding.
	bomb := pngBytes(t, 2, 2)
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 1, 0x86, 0xa0
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 1, 0x86, 0xa0
	for name, data := range map[string][]byte{"svg": svg, "html": html, "fake": fake, "empty": nil, "bomb": bomb, "huge": make([]byte, members.LogoMaxBytes+1)} {
		if err := m.SetLogo(ctx, o.ID, data); field(err) != "logo" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func pngMagic() []byte { return []byte("\x89PNG\r\n\x1a\n") }

// recorder is a hook that keeps what it was given and can fail on purpose.
type recorder[T any] struct {
	got  []T
	fail bool
}

func (r *recorder[T]) hook(_ context.Context, _ *sql.Tx, v T) error {
	if r.fail {
		return errors.New("mail queue broken")
	}
	r.got = append(r.got, v)
	return nil
}

func TestApplicationWorkflow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, acc, _ := setup(t, d)
		in := members.ApplicationInput{OrgName: "Voices of Kivu", Country: "COD", ContactName: "Esther M.", ContactEmail: "Esther@Kivu.example.org",
			TierID: tierID(t, m, "member"), Statement: "We document attacks on civilians in North Kivu and want to join."}
		bad := in
		bad.Statement = "short"
		if _, err := m.Apply(ctx, bad, nil); field(err) != "statement" {
			t.Fatalf("short statement: %v", err)
		}
		// A failing hook (the e-mail could not be queued) leaves nothing behind.
		if _, err := m.Apply(ctx, in, (&recorder[members.Application]{fail: true}).hook); err == nil {
			t.Fatal("failing hook accepted")
		}
		if l, _ := m.Applications(ctx, "all"); len(l) != 0 {
			t.Fatalf("half-written application: %v", l)
		}
		rec := &recorder[members.Application]{}
		a, err := m.Apply(ctx, in, rec.hook)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != members.AppSubmitted || a.ContactEmail != "esther@kivu.example.org" || len(rec.got) != 1 || len(a.Events) != 1 {
			t.Fatalf("applied: %+v, hook %d", a, len(rec.got))
		}
		staff := members.Actor{ID: 0, Name: "Secretariat"}
		if err := m.RequestInfo(ctx, a.ID, staff, "", nil); field(err) != "note" {
			t.Fatalf("request without note: %v", err)
		}
		if err := m.RequestInfo(ctx, a.ID, staff, "Which charter commitments have you endorsed?", rec.hook); err != nil {
			t.Fatal(err)
		}
		a, _ = m.Application(ctx, a.ID)
		if a.State != members.AppInfoRequested || a.LastNote() != "Which charter commitments have you endorsed?" || !a.Open() {
			t.Fatalf("after request: %+v", a)
		}
		in.Website = "kivu.example.org"
		if err := m.Answer(ctx, a.ID, in, "All of them, since 2019.", rec.hook); err != nil {
			t.Fatal(err)
		}
		if err := m.Answer(ctx, a.ID, in, "Again", nil); field(err) != "state" {
			t.Fatalf("second answer: %v", err)
		}
		a, _ = m.Application(ctx, a.ID)
		if a.State != members.AppSubmitted || a.Website != "https://kivu.example.org" || a.Events[len(a.Events)-1].Note != "All of them, since 2019." {
			t.Fatalf("after answer: %+v", a)
		}
		// A failing approval hook leaves no organisation and no user.
		if _, err := m.ApproveApplication(ctx, a.ID, staff, "", (&recorder[members.Approval]{fail: true}).hook); err == nil {
			t.Fatal("failing approval hook accepted")
		}
		if _, err := acc.ByEmail(ctx, "esther@kivu.example.org"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("user left behind: %v", err)
		}
		if l, _ := m.List(ctx, members.Filter{}); len(l) != 0 {
			t.Fatalf("organisation left behind: %v", l)
		}
		arec := &recorder[members.Approval]{}
		ap, err := m.ApproveApplication(ctx, a.ID, staff, "Welcome!", arec.hook)
		if err != nil {
			t.Fatal(err)
		}
		if ap.Organisation.Name != "Voices of Kivu" || !ap.Organisation.Public || ap.Application.State != members.AppApproved ||
			ap.Application.OrganisationID != ap.Organisation.ID || ap.Invite.Token == "" || !ap.Invite.OrgAdmin || len(arec.got) != 1 {
			t.Fatalf("approval: %+v", ap)
		}
		u, err := acc.CheckToken(ctx, ap.Invite.Token, accounts.PurposeInvite)
		if err != nil || u.Email != "esther@kivu.example.org" || u.Role != accounts.RoleMember || u.OrganisationID != ap.Organisation.ID || u.Name != "Esther M." {
			t.Fatalf("invited user: %+v %v", u, err)
		}
		if ok, _ := m.IsOrgAdmin(ctx, u.ID, ap.Organisation.ID); !ok {
			t.Fatal("the contact person must administer the organisation")
		}
		if _, err := m.ApproveApplication(ctx, a.ID, staff, "", nil); field(err) != "state" {
			t.Fatalf("approving twice: %v", err)
		}
		// Another application from the same address cannot be approved: the
		// account exists. The error names the problem; nothing is created.
		b, err := m.Apply(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.ApproveApplication(ctx, b.ID, staff, "", nil); field(err) != "email" {
			t.Fatalf("duplicate contact: %v", err)
		}
		if err := m.Reject(ctx, b.ID, staff, "You are already a member.", nil); err != nil {
			t.Fatal(err)
		}
		if l, _ := m.Applications(ctx, ""); len(l) != 0 {
			t.Fatalf("open applications: %v", l)
		}
		if n, _ := m.CountOpenApplications(ctx); n != 0 {
			t.Fatalf("open count %d", n)
		}
	})
}

func TestPeople(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, acc, _ := setup(t, d)
		o, err := m.Create(ctx, members.OrgInput{Name: "People Org", Country: "PER", TierID: tierID(t, m, "member")})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := m.InvitePerson(ctx, o.ID, "boss@people.example.org", "Boss", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		col, err := m.InvitePerson(ctx, o.ID, "col@people.example.org", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.InvitePerson(ctx, o.ID, "COL@people.example.org", "", false, nil); field(err) != "email" {
			t.Fatalf("duplicate: %v", err)
		}
		ppl, err := m.People(ctx, o.ID)
		if err != nil || len(ppl) != 2 || !ppl[0].OrgAdmin || ppl[0].HasPassword {
			t.Fatalf("people: %+v %v", ppl, err)
		}
		if _, err := acc.UseToken(ctx, col.Token, accounts.PurposeInvite, "a long colleague password"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Reinvite(ctx, o.ID, col.ID, nil); field(err) != "user" {
			t.Fatalf("reinvite with password: %v", err)
		}
		inv, err := m.Reinvite(ctx, o.ID, admin.ID, nil)
		if err != nil || inv.Token == admin.Token {
			t.Fatalf("reinvite: %v", err)
		}
		if _, err := acc.CheckToken(ctx, admin.Token, accounts.PurposeInvite); err == nil {
			t.Fatal("the old invitation must stop working")
		}
		if _, err := m.RemovePerson(ctx, o.ID, admin.ID); field(err) != "user" {
			t.Fatalf("removing the last admin: %v", err)
		}
		if err := m.SetOrgAdmin(ctx, o.ID, admin.ID, false); field(err) != "user" {
			t.Fatalf("demoting the last admin: %v", err)
		}
		other, _ := m.Create(ctx, members.OrgInput{Name: "Other Org", Country: "PER", TierID: tierID(t, m, "member")})
		if _, err := m.RemovePerson(ctx, other.ID, col.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("removing someone of another organisation: %v", err)
		}
		if err := m.SetOrgAdmin(ctx, o.ID, col.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := m.RemovePerson(ctx, o.ID, admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := acc.ByID(ctx, admin.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("removed account: %v", err)
		}
	})
}

type fakePublisher struct{ news, docs []string }

func (f *fakePublisher) PublishNews(ctx context.Context, tx *sql.Tx, sub members.Submission, org members.Organisation) (string, error) {
	f.news = append(f.news, org.Name+": "+sub.Title)
	return "/news/from-member", nil
}

func (f *fakePublisher) PublishDocument(ctx context.Context, tx *sql.Tx, sub members.Submission, file members.File, org members.Organisation) (string, error) {
	f.docs = append(f.docs, file.Name+" "+string(file.Data[:5]))
	return "/documents/from-member", nil
}

func TestSubmissions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, _, p := setup(t, d)
		a, _ := m.Create(ctx, members.OrgInput{Name: "Org A", Country: "SDN", TierID: tierID(t, m, "member"), Public: true})
		b, _ := m.Create(ctx, members.OrgInput{Name: "Org B", Country: "SDN", TierID: tierID(t, m, "member"), Public: true})
		theme, err := p.Create(ctx, places.KindTheme, "Protection of civilians", "")
		if err != nil {
			t.Fatal(err)
		}
		me := members.Actor{Name: "Writer"}
		for _, bad := range []members.SubmissionInput{
			{Kind: "poem", Title: "x", Body: "x"},
			{Kind: members.KindNews, Title: "", Body: "x"},
			{Kind: members.KindNews, Title: "x", Body: ""},
			{Kind: members.KindNews, Title: "x", Body: "x", Countries: []string{"ZZZ"}},
			{Kind: members.KindNews, Title: "x", Body: "x", ThemeIDs: []int64{999999}},
			{Kind: members.KindDocument, Title: "x"},
			{Kind: members.KindDocument, Title: "x", File: &members.Upload{Name: "report.pdf", Data: []byte("<html>")}},
			{Kind: members.KindDocument, Title: "x", File: &members.Upload{Name: "page.html", Data: []byte("<html>")}},
		} {
			if _, err := m.Submit(ctx, a.ID, me, bad, nil); field(err) == "" {
				t.Errorf("%+v accepted: %v", bad, err)
			}
		}
		news, err := m.Submit(ctx, a.ID, me, members.SubmissionInput{Kind: members.KindNews, Title: "Shelling in El Fasher", Summary: "Summary",
			Body: "Civilians **fled**.", Countries: []string{"sdn"}, ThemeIDs: []int64{theme.ID}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if news.State != members.SubSubmitted || len(news.Tags) != 2 || news.Countries()[0] != "SDN" || !news.HasTag(theme.ID) || news.OrgName != "Org A" {
			t.Fatalf("submitted: %+v", news)
		}
		// Another organisation cannot change it, even knowing its id.
		if err := m.Resubmit(ctx, b.ID, news.ID, me, members.SubmissionInput{Title: "Hijacked", Body: "x"}, nil); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("cross-organisation edit: %v", err)
		}
		if err := m.ReturnSubmission(ctx, news.ID, members.Actor{Name: "Editor"}, "Please add the date of the attack.", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := m.ApproveSubmission(ctx, news.ID, members.Actor{Name: "Editor"}, nil); field(err) != "state" {
			t.Fatalf("approving a returned submission: %v", err)
		}
		if got, _ := m.Submission(ctx, news.ID); got.State != members.SubReturned || got.ReviewNote != "Please add the date of the attack." {
			t.Fatalf("returned: %+v", got)
		}
		if err := m.Resubmit(ctx, a.ID, news.ID, me, members.SubmissionInput{Title: "Shelling in El Fasher on 3 May", Body: "Civilians fled on 3 May.",
			Countries: []string{"SDN"}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := m.Edit(ctx, news.ID, members.Actor{Name: "Editor"}, members.SubmissionInput{Title: "El Fasher: shelling on 3 May", Body: "Civilians fled on 3 May.",
			Countries: []string{"SDN"}, MembersOnly: true}); err != nil {
			t.Fatal(err)
		}
		if q, _ := m.Queue(ctx, ""); len(q) != 1 || q[0].ID != news.ID {
			t.Fatalf("queue: %v", q)
		}
		ok, err := m.ApproveSubmission(ctx, news.ID, members.Actor{Name: "Editor"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok.State != members.SubApproved || ok.PublishedURL != "/members/org-a/news/"+itoa(news.ID) || ok.Title != "El Fasher: shelling on 3 May" || !ok.MembersOnly {
			t.Fatalf("approved: %+v", ok)
		}
		if len(ok.Events) != 5 {
			t.Fatalf("history: %+v", ok.Events)
		}
		if err := m.Edit(ctx, news.ID, members.Actor{}, members.SubmissionInput{Title: "Late", Body: "x"}); field(err) != "state" {
			t.Fatalf("editing after approval: %v", err)
		}
		if l, _ := m.Published(ctx, a.ID, false, 10); len(l) != 0 {
			t.Fatalf("members-only news listed publicly: %v", l)
		}
		if l, _ := m.Published(ctx, a.ID, true, 10); len(l) != 1 {
			t.Fatalf("published for members: %v", l)
		}
		if l, _ := m.MembersOnlyNews(ctx, 10); len(l) != 1 {
			t.Fatalf("members-only news: %v", l)
		}
		// With a Publisher, approval goes through it, in the same transaction.
		pub := &fakePublisher{}
		m.Publisher = pub
		doc, err := m.Submit(ctx, b.ID, me, members.SubmissionInput{Kind: members.KindDocument, Title: "Annual report",
			File: &members.Upload{Name: `C:\Users\me\report "final".pdf`, Data: []byte("%PDF-1.7 test")}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if doc.File == nil || doc.File.Name != "report final.pdf" || doc.File.ContentType != "application/pdf" || doc.File.Size != 13 {
			t.Fatalf("file: %+v", doc.File)
		}
		ok, err = m.ApproveSubmission(ctx, doc.ID, members.Actor{Name: "Editor"}, nil)
		if err != nil || ok.PublishedURL != "/documents/from-member" || len(pub.docs) != 1 || pub.docs[0] != "report final.pdf %PDF-" {
			t.Fatalf("published document: %+v %v %v", ok, err, pub.docs)
		}
		if f, err := m.SubmissionFile(ctx, doc.ID); err != nil || string(f.Data) != "%PDF-1.7 test" {
			t.Fatalf("file: %v", err)
		}
		if l, _ := m.SubmissionsOf(ctx, b.ID); len(l) != 1 || l[0].ID != doc.ID {
			t.Fatalf("submissions of B: %v", l)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
