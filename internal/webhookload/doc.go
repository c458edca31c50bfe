// Package webhookload drives a running Ashby webhook receiver with signed
// events and checks afterwards that the destination holds each of them
// once. The benchmark command and the end-to-end tests share it.
//
// A load has three steps:
//
//	w, err := webhookload.Generate(ctx, webhookload.Config{Events: 20_000})
//	res, err := webhookload.Send(ctx, webhookload.SendConfig{
//		URL: url, Secret: secret, Rate: 500, Concurrency: 32}, w.Deliveries)
//	// stop the server so that it drains its spool, then open the database
//	rows, err := webhookload.Verify(ctx, db, "ashby_data", webhookload.Expect(res.Accepted()))
//
// Generate takes the payloads from the Ashby emulator, which sends its
// webhook events for a series of changes to a receiver on loopback. It
// adds events of actions that the loader keeps in webhook_events only and
// repeats some events with the same webhookActionId, as Ashby does when
// it retries a delivery.
//
// Send posts the deliveries at a constant arrival rate (open loop). The
// latency of a request runs from the time the schedule gave it to the end
// of the response, so the time a request waits for a free connection
// counts. A server that falls behind therefore shows growing latencies
// instead of a lower request rate with good latencies.
//
// Verify reads the tables that the Ashby source fills from webhooks and
// reports every expected row that is missing, repeated or unexpected.
package webhookload
