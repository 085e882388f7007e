package donations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// StripeOptions configure the Stripe provider.
type StripeOptions struct {
	SecretKey      string // sk_live_… or sk_test_…
	WebhookSecret  string // whsec_…: signs the webhook deliveries
	APIURL         string // empty for Stripe's own; http://127.0.0.1:PORT for stripe-mock
	CheckoutOrigin string // where Checkout pages live; https://checkout.stripe.com when empty
	// HTTPClient is used for API calls; a client with a 30-second timeout
	// when nil.
	HTTPClient *http.Client
}

// Stripe takes card payments through Stripe Checkout with Stripe's Go SDK.
// The donor pays on Stripe's page; the result comes only from the signed
// webhook.
type Stripe struct {
	client        *stripe.Client
	webhookSecret string
	origin        string
}

// DefaultCheckoutOrigin is where Stripe hosts Checkout pages.
const DefaultCheckoutOrigin = "https://checkout.stripe.com"

// NewStripe returns the Stripe provider.
func NewStripe(o StripeOptions) (*Stripe, error) {
	if o.SecretKey == "" {
		return nil, errors.New("stripe: a secret key is required")
	}
	if o.WebhookSecret == "" {
		return nil, errors.New("stripe: a webhook signing secret is required (--stripe-webhook-secret)")
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull}, // errors reach our own log, wrapped
	}
	if o.APIURL != "" {
		cfg.URL = stripe.String(strings.TrimRight(o.APIURL, "/"))
	}
	origin := o.CheckoutOrigin
	if origin == "" {
		origin = DefaultCheckoutOrigin
	}
	return &Stripe{
		client:        stripe.NewClient(o.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))),
		webhookSecret: o.WebhookSecret,
		origin:        strings.TrimRight(origin, "/"),
	}, nil
}

// Name implements Provider.
func (p *Stripe) Name() string { return "stripe" }

// CheckoutOrigins implements Provider.
func (p *Stripe) CheckoutOrigins() []string { return []string{p.origin} }

// StartCheckout creates a Checkout Session: mode "payment" for a one-off
// gift, "subscription" with an inline monthly price for a monthly one. Our
// reference travels as the client reference and in the metadata of the
// payment or subscription, so that every later event can be matched.
func (p *Stripe) StartCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	price := &stripe.CheckoutSessionCreateLineItemPriceDataParams{
		Currency:    stripe.String(strings.ToLower(req.Currency)),
		UnitAmount:  stripe.Int64(req.AmountMinor),
		ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(req.Description)},
	}
	meta := map[string]string{"ref": req.Ref}
	params := &stripe.CheckoutSessionCreateParams{
		SuccessURL:        stripe.String(req.SuccessURL),
		CancelURL:         stripe.String(req.CancelURL),
		ClientReferenceID: stripe.String(req.Ref),
		Metadata:          meta,
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{PriceData: price, Quantity: stripe.Int64(1)}},
	}
	if req.Email != "" {
		params.CustomerEmail = stripe.String(req.Email)
	}
	if req.Monthly {
		price.Recurring = &stripe.CheckoutSessionCreateLineItemPriceDataRecurringParams{Interval: stripe.String("month")}
		params.Mode = stripe.String(string(stripe.CheckoutSessionModeSubscription))
		params.SubscriptionData = &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta}
	} else {
		params.Mode = stripe.String(string(stripe.CheckoutSessionModePayment))
		params.SubmitType = stripe.String(string(stripe.CheckoutSessionSubmitTypeDonate))
		params.PaymentIntentData = &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta}
	}
	// A retried request (network trouble) must not open a second session.
	params.SetIdempotencyKey("checkout-" + req.Ref)
	sess, err := p.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return Checkout{}, fmt.Errorf("%w: create checkout session: %w", ErrProvider, err)
	}
	u, err := url.Parse(sess.URL)
	if err != nil || u.Scheme != "https" || u.Scheme+"://"+u.Host != p.origin {
		return Checkout{}, fmt.Errorf("%w: checkout session URL %q is not on %s", ErrProvider, sess.URL, p.origin)
	}
	return Checkout{SessionID: sess.ID, URL: sess.URL}, nil
}

// CancelRecurring cancels a subscription at once.
func (p *Stripe) CancelRecurring(ctx context.Context, subscriptionID string) error {
	if _, err := p.client.V1Subscriptions.Cancel(ctx, subscriptionID, &stripe.SubscriptionCancelParams{}); err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing {
			return nil // already gone at Stripe
		}
		return fmt.Errorf("%w: cancel subscription %s: %w", ErrProvider, subscriptionID, err)
	}
	return nil
}

// InvoiceForPayment implements PaymentResolver: it asks Stripe which
// invoice a PaymentIntent paid.
func (p *Stripe) InvoiceForPayment(ctx context.Context, paymentID string) (string, error) {
	params := &stripe.InvoicePaymentListParams{Payment: &stripe.InvoicePaymentListPaymentParams{
		PaymentIntent: stripe.String(paymentID), Type: stripe.String("payment_intent")}}
	params.Limit = stripe.Int64(1)
	for ip, err := range p.client.V1InvoicePayments.List(ctx, params) {
		if err != nil {
			return "", fmt.Errorf("%w: invoice for payment %s: %w", ErrProvider, paymentID, err)
		}
		if ip.Invoice != nil {
			return ip.Invoice.ID, nil
		}
		break
	}
	return "", nil
}

// ParseWebhook verifies the Stripe-Signature header (HMAC-SHA256 with the
// endpoint's secret, five minutes' tolerance) and translates the event.
// Only the fields needed are read; the API version of the endpoint may
// differ from the SDK's, so the SDK's version check is off.
func (p *Stripe) ParseWebhook(body []byte, header http.Header) (Event, error) {
	ev, err := webhook.ConstructEventWithOptions(body, header.Get("Stripe-Signature"), p.webhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	out := Event{ID: ev.ID, Type: string(ev.Type), Kind: EventIgnored, Created: time.Unix(ev.Created, 0).UTC(), Method: "card"}
	if ev.ID == "" {
		return Event{}, fmt.Errorf("%w: event without an id", ErrBadSignature)
	}
	if ev.Data == nil {
		return out, nil
	}
	raw := ev.Data.Raw
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		var s stripe.CheckoutSession
		if err := json.Unmarshal(raw, &s); err != nil {
			return out, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		out.Ref = s.ClientReferenceID
		if out.Ref == "" {
			out.Ref = s.Metadata["ref"]
		}
		out.SessionID = s.ID
		out.Monthly = s.Mode == stripe.CheckoutSessionModeSubscription
		out.AmountMinor = s.AmountTotal
		out.Currency = strings.ToUpper(string(s.Currency))
		if s.PaymentIntent != nil {
			out.PaymentID = s.PaymentIntent.ID
		}
		if s.Subscription != nil {
			out.SubscriptionID = s.Subscription.ID
		}
		if s.Customer != nil {
			out.CustomerID = s.Customer.ID
		}
		switch ev.Type {
		case "checkout.session.completed":
			out.Kind = EventCheckoutCompleted
			out.Paid = s.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid ||
				s.PaymentStatus == stripe.CheckoutSessionPaymentStatusNoPaymentRequired
		case "checkout.session.async_payment_succeeded":
			out.Kind, out.Paid = EventCheckoutPaid, true
		case "checkout.session.async_payment_failed":
			out.Kind = EventCheckoutFailed
		default:
			out.Kind = EventCheckoutExpired
		}
	case "invoice.paid", "invoice.payment_failed":
		var inv stripe.Invoice
		if err := json.Unmarshal(raw, &inv); err != nil {
			return out, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil {
			return out, nil // not a subscription invoice: not ours
		}
		sd := inv.Parent.SubscriptionDetails
		out.Ref = sd.Metadata["ref"]
		if sd.Subscription != nil {
			out.SubscriptionID = sd.Subscription.ID
		}
		if out.Ref == "" && inv.Lines != nil {
			for _, l := range inv.Lines.Data {
				if r := l.Metadata["ref"]; r != "" {
					out.Ref = r
					break
				}
			}
		}
		out.Monthly = true
		out.InvoiceID = inv.ID
		out.Currency = strings.ToUpper(string(inv.Currency))
		if inv.Customer != nil {
			out.CustomerID = inv.Customer.ID
		}
		if inv.Payments != nil {
			for _, ip := range inv.Payments.Data {
				if ip.Payment != nil && ip.Payment.PaymentIntent != nil && (ip.Status == "paid" || ev.Type == "invoice.payment_failed") {
					out.PaymentID = ip.Payment.PaymentIntent.ID
				}
			}
		}
		if ev.Type == "invoice.paid" {
			out.Kind, out.AmountMinor = EventInvoicePaid, inv.AmountPaid
		} else {
			out.Kind, out.AmountMinor = EventInvoiceFailed, inv.AmountDue
		}
	case "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(raw, &sub); err != nil {
			return out, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		out.Kind, out.Ref, out.SubscriptionID, out.Monthly = EventRecurringEnded, sub.Metadata["ref"], sub.ID, true
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(raw, &ch); err != nil {
			return out, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		out.Kind = EventRefund
		out.PaymentID = ch.ID
		if ch.PaymentIntent != nil && ch.PaymentIntent.ID != "" {
			out.PaymentID = ch.PaymentIntent.ID
		}
		out.Ref = ch.Metadata["ref"]
		out.AmountMinor, out.RefundedMinor = ch.Amount, ch.AmountRefunded
		out.Currency = strings.ToUpper(string(ch.Currency))
	}
	return out, nil
}
