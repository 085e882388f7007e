package donations_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/donations"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/settings"
	"coalition/internal/testkit"

	"github.com/stripe/stripe-go/v82/webhook"
)

const whsec = "whsec_test_coalition"

// recorder keeps the form bodies of the API requests the provider makes.
type recorder struct {
	mu    sync.Mutex
	forms []url.Values
	paths []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		v, _ := url.ParseQuery(string(b)) //nolint:errcheck // a GET has no form
		r.mu.Lock()
		r.forms = append(r.forms, v)
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		req.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) last() (string, url.Values) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.forms) == 0 {
		return "", nil
	}
	return r.paths[len(r.paths)-1], r.forms[len(r.forms)-1]
}

type env struct {
	svc *donations.Service
	d   *db.DB
	rec *recorder
	set *settings.Store
}

func newEnv(t *testing.T, d *db.DB, mock *testkit.StripeMock) env {
	t.Helper()
	rec := &recorder{}
	p, err := donations.NewStripe(donations.StripeOptions{SecretKey: "sk_test_123", WebhookSecret: whsec, APIURL: mock.URL,
		HTTPClient: &http.Client{Transport: rec, Timeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	set := settings.NewStore(d)
	org := settings.Defaults()
	org.OrgName, org.PostalAddress = "Coalition for Testing", "1 Receipt Street\n1200 Geneva"
	if err := set.Save(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	out := mail.NewOutbox(d, nil, log, nil)
	cur, err := donations.ParseCurrencies("USD,EUR,JPY")
	if err != nil {
		t.Fatal(err)
	}
	svc := donations.New(donations.Options{DB: d, Outbox: out, Settings: set, Log: log, BaseURL: "http://coalition.test",
		Providers: []donations.Provider{p}, Currencies: cur, MinMajor: 1, MaxMajor: 10000})
	return env{svc: svc, d: d, rec: rec, set: set}
}

// send signs an event the way Stripe does and hands it to the service.
func (e env) send(t *testing.T, id, typ string, created time.Time, obj map[string]any) error {
	t.Helper()
	return e.sendSigned(t, id, typ, created, obj, whsec)
}

func (e env) sendSigned(t *testing.T, id, typ string, created time.Time, obj map[string]any, secret string) error {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": created.Unix(),
		"api_version": "2025-08-27.basil", "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	h := http.Header{}
	h.Set("Stripe-Signature", sp.Header)
	return e.svc.HandleWebhook(context.Background(), "stripe", payload, h)
}

func session(ref, mode, payStatus, pi, sub string, amount int64) map[string]any {
	m := map[string]any{"id": "cs_test_" + ref[:8], "object": "checkout.session", "client_reference_id": ref, "mode": mode,
		"payment_status": payStatus, "status": "complete", "customer": "cus_test", "amount_total": amount, "currency": "usd",
		"metadata": map[string]any{"ref": ref}}
	if pi != "" {
		m["payment_intent"] = pi
	}
	if sub != "" {
		m["subscription"] = sub
	}
	return m
}

func invoice(id, ref, sub, pi string, amount int64) map[string]any {
	m := map[string]any{"id": id, "object": "invoice", "amount_paid": amount, "amount_due": amount, "currency": "usd",
		"customer": "cus_test", "parent": map[string]any{"type": "subscription_details",
			"subscription_details": map[string]any{"metadata": map[string]any{"ref": ref}, "subscription": sub}}}
	if pi != "" {
		m["payments"] = map[string]any{"object": "list", "data": []any{map[string]any{"object": "invoice_payment", "status": "paid",
			"payment": map[string]any{"type": "payment_intent", "payment_intent": pi}}}}
	}
	return m
}

func charge(pi string, amount, refunded int64) map[string]any {
	return map[string]any{"id": "ch_" + pi, "object": "charge", "payment_intent": pi, "amount": amount, "amount_refunded": refunded,
		"refunded": refunded >= amount, "currency": "usd"}
}

var march = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

func gift(monthly bool, amount string) donations.GiftRequest {
	f := "once"
	if monthly {
		f = "monthly"
	}
	return donations.GiftRequest{Frequency: f, Amount: amount, Currency: "USD", Name: "Ada Lovelace", Email: "Ada@Example.org",
		Dedication: "In memory of Charles", Newsletter: true}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseAmount(t *testing.T) {
	usd, _ := donations.LookupCurrency("USD")
	jpy, _ := donations.LookupCurrency("JPY")
	for _, c := range []struct {
		in   string
		cur  donations.Currency
		want int64
		bad  bool
	}{
		{"25", usd, 2500, false}, {"25.5", usd, 2550, false}, {"25,50", usd, 2550, false}, {"1,000", usd, 100000, false},
		{"1.000,50", usd, 100050, false}, {"1,000.50", usd, 100050, false}, {"$ 40", usd, 4000, false}, {"1 250", usd, 125000, false},
		{"0.001", usd, 0, true}, {"-5", usd, 0, true}, {"abc", usd, 0, true}, {"0", usd, 0, true}, {"", usd, 0, true},
		{"1e9", usd, 0, true}, {"99999999999999", usd, 0, true}, {"5000", jpy, 5000, false}, {"50.5", jpy, 0, true},
	} {
		got, err := donations.ParseAmount("amount", c.in, c.cur)
		if c.bad {
			if _, ok := errs.AsInvalid(err); !ok {
				t.Errorf("ParseAmount(%q) = %d, %v; want a form error", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	if s := donations.Display(125000, "USD"); s != "$1,250.00" {
		t.Errorf("Display = %q", s)
	}
}

// TestCheckoutSessions creates sessions against stripe-mock and checks
// what was asked of Stripe: payment mode for a one-off gift, subscription
// mode with a monthly price for a monthly one, our reference everywhere,
// URLs built from the base URL.
func TestCheckoutSessions(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	e := newEnv(t, testkit.NewSQLite(t), mock)
	ctx := context.Background()

	st, err := e.svc.Start(ctx, gift(false, "25"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.URL, "https://checkout.stripe.com/") {
		t.Fatalf("checkout URL %q", st.URL)
	}
	path, form := e.rec.last()
	if path != "POST /v1/checkout/sessions" {
		t.Fatalf("request %s", path)
	}
	for k, want := range map[string]string{
		"mode": "payment", "submit_type": "donate", "client_reference_id": st.Ref, "metadata[ref]": st.Ref,
		"payment_intent_data[metadata][ref]": st.Ref, "line_items[0][price_data][unit_amount]": "2500",
		"line_items[0][price_data][currency]": "usd", "customer_email": "ada@example.org",
		"success_url": "http://coalition.test/donate/thanks/" + st.Ref, "cancel_url": "http://coalition.test/donate/cancelled/" + st.Ref,
		"line_items[0][price_data][product_data][name]": "Donation to Coalition for Testing",
	} {
		if got := form.Get(k); got != want {
			t.Errorf("one-off %s = %q, want %q", k, got, want)
		}
	}
	d, err := e.svc.ByRef(ctx, st.Ref)
	if err != nil || d.Status != donations.StatusPending || d.AmountMinor != 2500 || d.DonorEmail != "ada@example.org" || d.SessionID == "" {
		t.Fatalf("pending gift: %+v %v", d, err)
	}

	st, err = e.svc.Start(ctx, gift(true, "10"))
	if err != nil {
		t.Fatal(err)
	}
	_, form = e.rec.last()
	for k, want := range map[string]string{
		"mode": "subscription", "line_items[0][price_data][recurring][interval]": "month", "subscription_data[metadata][ref]": st.Ref,
		"line_items[0][price_data][unit_amount]": "1000", "submit_type": "",
	} {
		if got := form.Get(k); got != want {
			t.Errorf("monthly %s = %q, want %q", k, got, want)
		}
	}
	if p, err := e.svc.PlanByRef(ctx, st.Ref); err != nil || p.Status != donations.PlanPending {
		t.Fatalf("pending monthly gift: %+v %v", p, err)
	}

	// Invalid forms keep every message and never reach Stripe.
	before := len(e.rec.forms)
	_, err = e.svc.Start(ctx, donations.GiftRequest{Frequency: "weekly", OtherAmount: "0.5", Currency: "XYZ", Email: "nope"})
	fe, ok := donations.AsFormError(err)
	if !ok {
		t.Fatalf("want a form error, got %v", err)
	}
	for _, f := range []string{"frequency", "currency", "other_amount", "name", "email"} {
		if fe.Fields[f] == "" {
			t.Errorf("no message for %s: %v", f, fe.Fields)
		}
	}
	if _, err := e.svc.Start(ctx, donations.GiftRequest{Amount: "50000", Currency: "EUR", Name: "X", Email: "x@example.org"}); err == nil ||
		!strings.Contains(err.Error(), "€10,000.00") {
		t.Errorf("above the maximum: %v", err)
	}
	if len(e.rec.forms) != before {
		t.Fatal("an invalid form reached the provider")
	}
}

// TestWebhookOneOff runs a one-off gift through completion, a duplicate,
// a refund and a forged delivery.
func TestWebhookOneOff(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mock)
		ctx := context.Background()
		st, err := e.svc.Start(ctx, gift(false, "25"))
		if err != nil {
			t.Fatal(err)
		}
		if th, err := e.svc.ThanksFor(ctx, st.Ref); err != nil || th.Confirmed || th.Failed {
			t.Fatalf("before the webhook: %+v %v", th, err)
		}
		// A forged delivery: 400 material, nothing recorded.
		err = e.sendSigned(t, "evt_forged", "checkout.session.completed", march, session(st.Ref, "payment", "paid", "pi_1", "", 2500), "whsec_wrong")
		if !errors.Is(err, donations.ErrBadSignature) {
			t.Fatalf("forged event: %v", err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_events"); n != 0 {
			t.Fatalf("a forged event was recorded (%d)", n)
		}
		if g, _ := e.svc.ByRef(ctx, st.Ref); g.Status != donations.StatusPending {
			t.Fatalf("a forged event changed the gift: %s", g.Status)
		}

		for i := 0; i < 2; i++ { // Stripe retries: the second delivery changes nothing
			if err := e.send(t, "evt_done", "checkout.session.completed", march, session(st.Ref, "payment", "paid", "pi_1", "", 2500)); err != nil {
				t.Fatal(err)
			}
		}
		g, err := e.svc.ByRef(ctx, st.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if g.Status != donations.StatusPaid || g.ReceiptNo != "2026-000001" || g.PaymentID != "pi_1" || !g.PaidAt.Equal(march) ||
			g.OrgName != "Coalition for Testing" {
			t.Fatalf("after completion: %+v", g)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM outbox WHERE kind = 'donation-receipt' AND to_addr = 'ada@example.org'"); n != 1 {
			t.Fatalf("%d receipt e-mails", n)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM outbox_attachments"); n != 1 {
			t.Fatalf("%d attachments", n)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donors WHERE newsletter_wish = TRUE"); n != 1 {
			t.Fatalf("newsletter wish not kept (%d)", n)
		}
		th, err := e.svc.ThanksFor(ctx, st.Ref)
		if err != nil || !th.Confirmed || th.ReceiptToken == "" {
			t.Fatalf("thanks: %+v %v", th, err)
		}
		if r, err := e.svc.ReceiptByToken(ctx, th.ReceiptToken); err != nil || r.ID != g.ID {
			t.Fatalf("receipt link: %v", err)
		}
		if _, err := e.svc.ReceiptByToken(ctx, th.ReceiptToken[:len(th.ReceiptToken)-2]+"xx"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("tampered receipt link: %v", err)
		}

		// A late "expired" for the same session cannot undo the payment.
		if err := e.send(t, "evt_late", "checkout.session.expired", march, session(st.Ref, "payment", "unpaid", "", "", 2500)); err != nil {
			t.Fatal(err)
		}
		// A partial refund, then the rest.
		if err := e.send(t, "evt_r1", "charge.refunded", march.Add(time.Hour), charge("pi_1", 2500, 1000)); err != nil {
			t.Fatal(err)
		}
		g, _ = e.svc.ByRef(ctx, st.Ref)
		if g.Status != donations.StatusPaid || g.RefundedMinor != 1000 {
			t.Fatalf("after a partial refund: %s %d", g.Status, g.RefundedMinor)
		}
		if err := e.send(t, "evt_r2", "charge.refunded", march.Add(2*time.Hour), charge("pi_1", 2500, 2500)); err != nil {
			t.Fatal(err)
		}
		// An older refund event arriving last does not lower the total.
		if err := e.send(t, "evt_r0", "charge.refunded", march.Add(30*time.Minute), charge("pi_1", 2500, 500)); err != nil {
			t.Fatal(err)
		}
		g, _ = e.svc.ByRef(ctx, st.Ref)
		if g.Status != donations.StatusRefunded || g.RefundedMinor != 2500 || g.ReceiptNo != "2026-000001" {
			t.Fatalf("after the full refund: %s %d %s", g.Status, g.RefundedMinor, g.ReceiptNo)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_events"); n != 5 {
			t.Fatalf("%d events recorded, want 5", n)
		}
	})
}

// TestWebhookOutOfOrder: a refund that arrives before the payment it
// refunds is parked and applied when the payment arrives; an unknown
// reference is ignored.
func TestWebhookOutOfOrder(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mock)
		ctx := context.Background()
		st, err := e.svc.Start(ctx, gift(false, "40"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.send(t, "evt_refund_first", "charge.refunded", march.Add(time.Hour), charge("pi_oo", 4000, 4000)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_events WHERE status = 'parked'"); n != 1 {
			t.Fatalf("%d parked events", n)
		}
		if err := e.send(t, "evt_paid_late", "checkout.session.completed", march, session(st.Ref, "payment", "paid", "pi_oo", "", 4000)); err != nil {
			t.Fatal(err)
		}
		g, _ := e.svc.ByRef(ctx, st.Ref)
		if g.Status != donations.StatusRefunded || g.ReceiptNo == "" {
			t.Fatalf("refund before payment ended as %s (receipt %q)", g.Status, g.ReceiptNo)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_events WHERE status = 'parked'"); n != 0 {
			t.Fatalf("%d events still parked", n)
		}
		// Delayed payment methods: completed unpaid, then succeeded.
		st2, err := e.svc.Start(ctx, gift(false, "30"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.send(t, "evt_unpaid", "checkout.session.completed", march, session(st2.Ref, "payment", "unpaid", "pi_sepa", "", 3000)); err != nil {
			t.Fatal(err)
		}
		if g, _ := e.svc.ByRef(ctx, st2.Ref); g.Status != donations.StatusPending {
			t.Fatalf("unpaid completion: %s", g.Status)
		}
		if err := e.send(t, "evt_async_ok", "checkout.session.async_payment_succeeded", march, session(st2.Ref, "payment", "paid", "pi_sepa", "", 3000)); err != nil {
			t.Fatal(err)
		}
		if g, _ := e.svc.ByRef(ctx, st2.Ref); g.Status != donations.StatusPaid || g.ReceiptNo != "2026-000002" {
			t.Fatalf("async success: %s %s", g.Status, g.ReceiptNo)
		}
		if err := e.send(t, "evt_stranger", "checkout.session.completed", march, session("ZZZZZZZZZZZZZZZZZZZZZZ", "payment", "paid", "pi_x", "", 100)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_events WHERE event_id = 'evt_stranger' AND status = 'ignored'"); n != 1 {
			t.Fatal("an unknown session was not recorded as ignored")
		}
	})
}

// TestWebhookMonthly follows a monthly gift: the first invoice paid before
// the checkout completion, a renewal, a failed payment, a cancellation and
// a stale payment event after it.
func TestWebhookMonthly(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mock)
		ctx := context.Background()
		st, err := e.svc.Start(ctx, gift(true, "10"))
		if err != nil {
			t.Fatal(err)
		}
		// invoice.paid first (out of order), then the checkout completion.
		if err := e.send(t, "evt_inv1", "invoice.paid", march, invoice("in_1", st.Ref, "sub_1", "pi_m1", 1000)); err != nil {
			t.Fatal(err)
		}
		if err := e.send(t, "evt_cs", "checkout.session.completed", march.Add(-time.Second), session(st.Ref, "subscription", "paid", "", "sub_1", 1000)); err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.PlanByRef(ctx, st.Ref)
		if err != nil || p.Status != donations.PlanActive || p.SubscriptionID != "sub_1" {
			t.Fatalf("plan after first payment: %+v %v", p, err)
		}
		th, err := e.svc.ThanksFor(ctx, st.Ref)
		if err != nil || !th.Confirmed || !th.Monthly || th.CancelToken == "" || th.ReceiptToken == "" {
			t.Fatalf("thanks for a monthly gift: %+v %v", th, err)
		}
		// Renewal (found by subscription id alone), duplicated.
		renewal := invoice("in_2", "", "sub_1", "pi_m2", 1000)
		for i := 0; i < 2; i++ {
			if err := e.send(t, "evt_inv2", "invoice.paid", march.AddDate(0, 1, 0), renewal); err != nil {
				t.Fatal(err)
			}
		}
		// A failed month.
		if err := e.send(t, "evt_inv3_fail", "invoice.payment_failed", march.AddDate(0, 2, 0), invoice("in_3", st.Ref, "sub_1", "", 1000)); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.svc.PlanByRef(ctx, st.Ref); p.Status != donations.PlanPastDue {
			t.Fatalf("after a failed payment: %s", p.Status)
		}
		gifts, err := e.svc.PlanGifts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var paid, failed []string
		for _, g := range gifts {
			switch g.Status {
			case donations.StatusPaid:
				paid = append(paid, g.ReceiptNo)
			case donations.StatusFailed:
				failed = append(failed, g.InvoiceID)
				if g.ReceiptNo != "" {
					t.Errorf("a failed payment got receipt %s", g.ReceiptNo)
				}
			}
		}
		sort.Strings(paid)
		if fmt.Sprint(paid) != "[2026-000001 2026-000002]" || fmt.Sprint(failed) != "[in_3]" {
			t.Fatalf("monthly payments: paid %v failed %v", paid, failed)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM outbox WHERE kind = 'donation-receipt'"); n != 2 {
			t.Fatalf("%d receipt e-mails for two payments", n)
		}
		// A refund of the renewal.
		if err := e.send(t, "evt_ref2", "charge.refunded", march.AddDate(0, 1, 2), charge("pi_m2", 1000, 1000)); err != nil {
			t.Fatal(err)
		}
		// Cancelled at Stripe; then a stale "paid" for the failed month's retry.
		sub := map[string]any{"id": "sub_1", "object": "subscription", "status": "canceled", "metadata": map[string]any{"ref": st.Ref}}
		if err := e.send(t, "evt_del", "customer.subscription.deleted", march.AddDate(0, 2, 5), sub); err != nil {
			t.Fatal(err)
		}
		if err := e.send(t, "evt_inv3_paid", "invoice.paid", march.AddDate(0, 2, 1), invoice("in_3", st.Ref, "sub_1", "pi_m3", 1000)); err != nil {
			t.Fatal(err)
		}
		p, _ = e.svc.PlanByRef(ctx, st.Ref)
		if p.Status != donations.PlanCancelled {
			t.Fatalf("a payment event revived a cancelled monthly gift: %s", p.Status)
		}
		gifts, _ = e.svc.PlanGifts(ctx, p.ID)
		states := map[string]donations.Status{}
		for _, g := range gifts {
			states[g.InvoiceID] = g.Status
		}
		if states["in_1"] != donations.StatusPaid || states["in_2"] != donations.StatusRefunded || states["in_3"] != donations.StatusPaid {
			t.Fatalf("final states: %v", states)
		}
	})
}

// TestReceiptNumbersConcurrent completes many gifts at once (each event
// delivered twice, concurrently) and checks the receipt numbers run 1…n
// with no gap and no repeat.
func TestReceiptNumbersConcurrent(t *testing.T) {
	mock := testkit.NewStripeMock(t)
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mock)
		ctx := context.Background()
		const n = 24
		refs := make([]string, n)
		for i := range refs {
			st, err := e.svc.Start(ctx, gift(false, fmt.Sprint(5+i)))
			if err != nil {
				t.Fatal(err)
			}
			refs[i] = st.Ref
		}
		var wg sync.WaitGroup
		errc := make(chan error, 2*n)
		for i, ref := range refs {
			for k := 0; k < 2; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errc <- e.send(t, fmt.Sprintf("evt_c%d", i), "checkout.session.completed", march,
						session(ref, "payment", "paid", fmt.Sprintf("pi_c%d", i), "", int64(500+100*i)))
				}()
			}
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.R.QueryContext(ctx, "SELECT receipt_no FROM donations WHERE receipt_no IS NOT NULL ORDER BY receipt_no")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if len(got) != n {
			t.Fatalf("%d receipts for %d gifts", len(got), n)
		}
		for i, s := range got {
			if want := donations.ReceiptNumber(2026, int64(i+1)); s != want {
				t.Fatalf("receipt %d is %s, want %s (all: %v)", i, s, want, got)
			}
		}
		if c := count(t, d, "SELECT COUNT(*) FROM outbox WHERE kind = 'donation-receipt'"); c != n {
			t.Fatalf("%d receipt e-mails for %d gifts", c, n)
		}
	})
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv(testkit.RequireAllEnv) == "1" {
			t.Fatal("pdftotext is required (poppler-utils)")
		}
		t.Skip("SKIPPED: pdftotext is not installed")
	}
	p := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pdftotext", "-enc", "UTF-8", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestPledgesAndReceiptPDF records a cheque, marks it received and reads
// the receipt back with pdftotext.
func TestPledgesAndReceiptPDF(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, testkit.NewStripeMock(t))
		ctx := context.Background()
		if _, err := e.svc.RecordPledge(ctx, 0, donations.PledgeRequest{Name: "", Amount: "x", Currency: "USD", Method: "card"}); err == nil {
			t.Fatal("an invalid pledge was accepted")
		} else if fe, ok := donations.AsFormError(err); !ok || fe.Fields["name"] == "" || fe.Fields["amount"] == "" || fe.Fields["method"] == "" {
			t.Fatalf("pledge errors: %v", err)
		}
		p, err := e.svc.RecordPledge(ctx, 0, donations.PledgeRequest{Name: "Zoë Ødegård-Łukasz", Email: "zoe@example.org", Amount: "1,250.50",
			Currency: "EUR", Method: "cheque", Note: "Cheque 000123", Dedication: "Für die Kinder"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != donations.StatusPledged || p.ReceiptNo != "" {
			t.Fatalf("pledge: %s %q", p.Status, p.ReceiptNo)
		}
		if err := e.svc.MarkRefunded(ctx, p.ID); err == nil {
			t.Fatal("an unpaid pledge was marked refunded")
		}
		if err := e.svc.MarkReceived(ctx, p.ID, time.Date(2026, 2, 3, 12, 0, 0, 0, time.UTC), true); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.MarkReceived(ctx, p.ID, time.Time{}, true); err == nil {
			t.Fatal("a gift was received twice")
		}
		g, _ := e.svc.Get(ctx, p.ID)
		if g.Status != donations.StatusPaid || g.ReceiptNo != "2026-000001" {
			t.Fatalf("received: %s %s", g.Status, g.ReceiptNo)
		}
		pdf, err := donations.ReceiptPDF(g)
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf)
		for _, want := range []string{"Coalition for Testing", "1 Receipt Street", "1200 Geneva", "Donation receipt", "2026-000001",
			"3 February 2026", "Zoë Ødegård-Łukasz", "€1,250.50 (EUR)", "Cheque", "Für die Kinder"} {
			if !strings.Contains(text, want) {
				t.Errorf("receipt lacks %q:\n%s", want, text)
			}
		}
		// The receipt keeps the organisation as it was when issued.
		org := settings.Defaults()
		org.OrgName = "Renamed Coalition"
		if err := e.set.Save(ctx, org); err != nil {
			t.Fatal(err)
		}
		g, _ = e.svc.Get(ctx, p.ID)
		if g.OrgName != "Coalition for Testing" {
			t.Fatalf("receipt organisation changed to %q", g.OrgName)
		}
		// Re-sending queues another e-mail with the same number.
		if err := e.svc.ResendReceipt(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM outbox WHERE kind = 'donation-receipt' AND to_addr = 'zoe@example.org'"); n != 2 {
			t.Fatalf("%d receipt e-mails after a re-send", n)
		}
		if n := count(t, d, "SELECT COUNT(*) FROM donation_counters WHERE value = 1"); n != 1 {
			t.Fatal("a re-send took a new number")
		}
		// A cheque without an address: a name-only donor, no e-mail.
		q, err := e.svc.RecordPledge(ctx, 0, donations.PledgeRequest{Name: "Anonymous Friend", Amount: "50", Currency: "USD", Method: "bank_transfer",
			Received: true, ReceivedOn: "2026-03-01", SendReceipt: true})
		if err != nil {
			t.Fatal(err)
		}
		if q.Status != donations.StatusPaid || q.ReceiptNo != "2026-000002" || q.DonorEmail != "" {
			t.Fatalf("received bank transfer: %+v", q)
		}
		if err := e.svc.MarkRefunded(ctx, q.ID); err != nil {
			t.Fatal(err)
		}
		if g, _ := e.svc.Get(ctx, q.ID); g.Status != donations.StatusRefunded || g.RefundedMinor != 5000 {
			t.Fatalf("refunded: %s %d", g.Status, g.RefundedMinor)
		}
	})
}

// TestAppealsAndExport ties gifts to an appeal, checks its progress and the
// CSV export's defusing of formulas.
func TestAppealsAndExport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, testkit.NewStripeMock(t))
		ctx := context.Background()
		if _, err := e.svc.SaveAppeal(ctx, 0, donations.AppealForm{Title: "", Goal: "abc", Currency: "USD", EndsOn: "yesterday"}); err == nil {
			t.Fatal("an invalid appeal was saved")
		}
		a, err := e.svc.SaveAppeal(ctx, 0, donations.AppealForm{Title: "Winter Appeal", Goal: "1000", Currency: "USD", Published: true,
			Summary: "Help *now*."})
		if err != nil {
			t.Fatal(err)
		}
		if a.Slug != "winter-appeal" || a.GoalMinor != 100000 {
			t.Fatalf("appeal: %+v", a)
		}
		if _, err := e.svc.SaveAppeal(ctx, 0, donations.AppealForm{Title: "Winter Appeal", Goal: "5", Currency: "USD"}); err == nil {
			t.Fatal("a second appeal took the same address")
		}
		for i, name := range []string{"=HYPERLINK(\"http://evil\")", "Bob", "Bob"} {
			email := fmt.Sprintf("d%d@example.org", i)
			if name == "Bob" {
				email = "bob@example.org"
			}
			if _, err := e.svc.RecordPledge(ctx, 0, donations.PledgeRequest{Name: name, Email: email, Amount: "250", Currency: "USD",
				Method: "bank_transfer", AppealID: a.ID, Received: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.RecordPledge(ctx, 0, donations.PledgeRequest{Name: "Euro", Amount: "10", Currency: "EUR", Method: "cheque",
			AppealID: a.ID, Received: true}); err != nil {
			t.Fatal(err)
		}
		pr, err := e.svc.Progress(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if pr.RaisedMinor != 75000 || pr.Donors != 3 || pr.Gifts != 4 || pr.Percent != 75 || len(pr.Other) != 1 || pr.Other[0].Minor != 1000 {
			t.Fatalf("progress: %+v", pr)
		}
		var sb strings.Builder
		if err := e.svc.ExportCSV(ctx, donations.Filter{AppealID: a.ID}, &sb); err != nil {
			t.Fatal(err)
		}
		csv := sb.String()
		if !strings.Contains(csv, `"'=HYPERLINK(""http://evil"")"`) || strings.Contains(csv, "\n=") || strings.Contains(csv, ",=") {
			t.Fatalf("formula not defused:\n%s", csv)
		}
		if !strings.Contains(csv, ",250.00,0.00,250.00,USD,paid,bank_transfer,one_off,Winter Appeal,") {
			t.Fatalf("export row:\n%s", csv)
		}
		list, total, err := e.svc.List(ctx, donations.Filter{Q: "BOB", Method: donations.MethodBankTransfer})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("search: %d %v", total, err)
		}
		if _, total, _ := e.svc.List(ctx, donations.Filter{Q: "%"}); total != 0 {
			t.Fatalf("a %% in the search matched %d gifts", total)
		}
		series, err := e.svc.ByMonth(ctx, 12, time.Now())
		if err != nil || len(series) != 2 || series[1].Currency != "USD" || series[1].Months[11].Minor != 75000 {
			t.Fatalf("by month: %+v %v", series, err)
		}
	})
}
