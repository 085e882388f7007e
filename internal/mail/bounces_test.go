package mail_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/mail"
	"coalition/internal/testkit"
)

// snsNotification wraps an SES notification in an SNS envelope.
func snsNotification(t *testing.T, ses map[string]any) []byte {
	t.Helper()
	msg, err := json.Marshal(ses)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"TopicArn": "arn:aws:sns:eu-west-1:123456789012:bounces", "Message": string(msg),
		"Timestamp": "2026-11-29T10:00:00.000Z", "SignatureVersion": "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBounces(t *testing.T) {
	mailPart := map[string]any{"messageId": "0102018f-ses", "commonHeaders": map[string]any{"messageId": "<c12.s34@example.org>"}}
	cases := []struct {
		name  string
		body  []byte
		want  []mail.Bounce
		subsc string
	}{
		{"generic", []byte(`{"email":" Someone@Example.org ","type":"hard","campaign_id":5,"reason":"550 5.1.1 unknown user"}`),
			[]mail.Bounce{{Email: "someone@example.org", Kind: "hard", Source: "generic", CampaignID: 5, Detail: "550 5.1.1 unknown user"}}, ""},
		{"generic list", []byte(`[{"email":"a@example.org","type":"soft"},{"email":"b@example.org","type":"complaint","at":"2026-11-28T09:00:00Z"}]`),
			[]mail.Bounce{{Email: "a@example.org", Kind: "soft", Source: "generic"},
				{Email: "b@example.org", Kind: "complaint", Source: "generic", At: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}}, ""},
		{"ses permanent bounce", snsNotification(t, map[string]any{"notificationType": "Bounce", "mail": mailPart,
			"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-11-29T09:59:00.000Z",
				"bouncedRecipients": []any{map[string]any{"emailAddress": "gone@example.org", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
					map[string]any{"emailAddress": "Also@Example.org"}}}}),
			[]mail.Bounce{
				{At: time.Date(2026, 11, 29, 9, 59, 0, 0, time.UTC), Email: "gone@example.org", Kind: "hard", Source: "ses", CampaignID: 12,
					Detail: "Permanent/General 5.1.1 smtp; 550 5.1.1 user unknown"},
				{At: time.Date(2026, 11, 29, 9, 59, 0, 0, time.UTC), Email: "also@example.org", Kind: "hard", Source: "ses", CampaignID: 12, Detail: "Permanent/General"},
			}, ""},
		{"ses transient bounce", snsNotification(t, map[string]any{"notificationType": "Bounce",
			"bounce": map[string]any{"bounceType": "Transient", "bouncedRecipients": []any{map[string]any{"emailAddress": "full@example.org"}}}}),
			[]mail.Bounce{{Email: "full@example.org", Kind: "soft", Source: "ses", Detail: "Transient"}}, ""},
		{"ses complaint", snsNotification(t, map[string]any{"notificationType": "Complaint", "mail": mailPart,
			"complaint": map[string]any{"complaintFeedbackType": "abuse", "complainedRecipients": []any{map[string]any{"emailAddress": "angry@example.org"}}}}),
			[]mail.Bounce{{Email: "angry@example.org", Kind: "complaint", Source: "ses", CampaignID: 12, Detail: "abuse"}}, ""},
		{"raw ses event", []byte(`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"raw@example.org"}]}}`),
			[]mail.Bounce{{Email: "raw@example.org", Kind: "complaint", Source: "ses"}}, ""},
		{"ses delivery", snsNotification(t, map[string]any{"notificationType": "Delivery", "delivery": map[string]any{}}), nil, ""},
		{"subscription confirmation", []byte(`{"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:eu-west-1:1:b",
			"SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=abc"}`),
			nil, "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn&Token=abc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, sub, err := mail.ParseBounces(c.body)
			if err != nil {
				t.Fatal(err)
			}
			if sub != c.subsc {
				t.Errorf("subscribe URL %q, want %q", sub, c.subsc)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("bounce %d: %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
	for _, bad := range []string{``, `not json`, `{"email":"a@example.org"`, `{"email":"a@example.org","type":"bouncy"}`, `{"email":"nobody","type":"hard"}`,
		`[{"email":"a@example.org","type":"hard"}, 3]`, `{"email":"a@example.org","type":"hard","campaign_id":"x"}`, `null`,
		`{"Type":"SubscriptionConfirmation","SubscribeURL":"http://169.254.169.254/latest/meta-data"}`,
		`{"Type":"SubscriptionConfirmation","SubscribeURL":"https://evil.example.org/amazonaws.com"}`,
		`{"Type":"Notification","Message":"{broken"}`, `{"Type":"Whatever"}`} {
		if _, _, err := mail.ParseBounces([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		} else if _, ok := errs.AsInvalid(err); !ok {
			t.Errorf("%q: %v is not errs.Invalid", bad, err)
		}
	}
}

// TestRecordBounces: hard bounces and complaints suppress at once, three
// soft bounces within 30 days do, older ones do not count, and reports for
// unknown addresses are kept without effect.
func TestRecordBounces(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testkit.NewClock(time.Now().UTC())
		svc := campService(t, d, clock.Now, nil, mail.Options{})
		list := campList(t, d, "Monthly Newsletter", false)
		for _, a := range []string{"hard@example.org", "complaint@example.org", "soft@example.org", "oldsoft@example.org"} {
			campSub(t, d, campRecipient{email: a, confirmed: true, lists: map[int64]string{list: mail.SubActive}})
		}
		suppressed := func(addr string) (bool, string) {
			var at sql.NullTime
			var reason string
			if err := d.R.QueryRowContext(ctx, "SELECT suppressed_at, suppress_reason FROM subscribers WHERE email = $1", addr).Scan(&at, &reason); err != nil {
				t.Fatal(err)
			}
			return at.Valid, reason
		}
		if err := svc.RecordBounces(ctx, []mail.Bounce{
			{Email: "Hard@Example.org", Kind: mail.BounceHard, Source: "generic", Detail: "550 5.1.1"},
			{Email: "complaint@example.org", Kind: mail.BounceComplaint, Source: "ses"},
			{Email: "stranger@example.org", Kind: mail.BounceHard, Source: "generic"},
			{Email: "soft@example.org", Kind: mail.BounceSoft},
			{Email: "soft@example.org", Kind: mail.BounceSoft},
			{Email: "oldsoft@example.org", Kind: mail.BounceSoft, At: clock.Now().Add(-40 * 24 * time.Hour)},
			{Email: "oldsoft@example.org", Kind: mail.BounceSoft, At: clock.Now().Add(-35 * 24 * time.Hour)},
			{Email: "oldsoft@example.org", Kind: mail.BounceSoft},
		}); err != nil {
			t.Fatal(err)
		}
		if ok, reason := suppressed("hard@example.org"); !ok || reason != "hard bounce: 550 5.1.1" {
			t.Errorf("hard bounce: %v %q", ok, reason)
		}
		if ok, reason := suppressed("complaint@example.org"); !ok || reason != "complaint" {
			t.Errorf("complaint: %v %q", ok, reason)
		}
		if ok, _ := suppressed("soft@example.org"); ok {
			t.Error("two soft bounces suppressed the address")
		}
		if ok, _ := suppressed("oldsoft@example.org"); ok {
			t.Error("soft bounces older than 30 days counted")
		}
		if err := svc.RecordBounces(ctx, []mail.Bounce{{Email: "soft@example.org", Kind: mail.BounceSoft}}); err != nil {
			t.Fatal(err)
		}
		if ok, reason := suppressed("soft@example.org"); !ok || reason != "3 soft bounces within 30 days" {
			t.Errorf("third soft bounce: %v %q", ok, reason)
		}
		var n int
		if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM mail_bounces WHERE email = 'stranger@example.org'").Scan(&n); err != nil || n != 1 {
			t.Errorf("unknown address: %d rows (%v)", n, err)
		}
		if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM subscribers WHERE email = 'stranger@example.org'").Scan(&n); err != nil || n != 0 {
			t.Errorf("unknown address created a subscriber: %d (%v)", n, err)
		}
		if err := svc.RecordBounces(ctx, []mail.Bounce{{Email: "x@example.org", Kind: "weird"}}); err == nil {
			t.Error("unknown kind accepted")
		}

		// A suppressed address is left out of the next campaign.
		c, err := svc.CreateCampaign(ctx, mail.CampaignInput{Subject: "After the bounces", Body: "Hi", ListIDs: []int64{list}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Send(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if st, err := svc.Stats(ctx, c.ID); err != nil || st.Total != 1 {
			t.Errorf("deliveries after suppression: %+v %v", st, err)
		}
	})
}
