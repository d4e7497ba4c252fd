// A batch job that pushes with client_golang's push package (protobuf bodies), for the client and
// end-to-end tests. Built at test time, offline, against Debian's client_golang (GOPATH mode).
//
// Usage: push-client -url URL -job JOB -op push|add|delete [-value N] [-native] [-label name=value]...
//
// It pushes go_client_items_total (a counter increased by N), go_client_last_success_seconds (a
// gauge set to N) and go_client_duration_seconds (a histogram, buckets 1 and 5, observing N), with
// each -label as a grouping label; with -native also go_client_native_seconds, a native histogram
// (NativeHistogramBucketFactor 1.1) observing N, 3N, -N and 0. Errors go to stderr with exit status 1.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

type labelFlags []string

func (l *labelFlags) String() string { return strings.Join(*l, ",") }

func (l *labelFlags) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not name=value", v)
	}
	*l = append(*l, v)
	return nil
}

func main() {
	url := flag.String("url", "", "the gateway's URL, e.g. http://localhost:3000/pushgateway")
	job := flag.String("job", "", "the job name")
	op := flag.String("op", "push", "push (PUT), add (POST) or delete (DELETE)")
	value := flag.Float64("value", 1, "the value pushed")
	native := flag.Bool("native", false, "also push a native histogram")
	var labels labelFlags
	flag.Var(&labels, "label", "a grouping label, name=value (repeatable; the value may be empty)")
	flag.Parse()
	if err := run(*url, *job, *op, *value, *native, labels); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(url, job, op string, value float64, native bool, labels []string) error {
	if url == "" || job == "" {
		return fmt.Errorf("-url and -job are required")
	}
	registry := prometheus.NewRegistry()
	items := prometheus.NewCounter(prometheus.CounterOpts{Name: "go_client_items_total", Help: "Items processed by the Go client."})
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_client_last_success_seconds", Help: "Last success of the Go client."})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "go_client_duration_seconds", Help: "Duration seen by the Go client.", Buckets: []float64{1, 5}})
	registry.MustRegister(items, last, duration)
	items.Add(value)
	last.Set(value)
	duration.Observe(value)
	if native {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "go_client_native_seconds", Help: "A native histogram of the Go client.", NativeHistogramBucketFactor: 1.1})
		registry.MustRegister(h)
		for _, v := range []float64{value, 3 * value, -value, 0} {
			h.Observe(v)
		}
	}

	pusher := push.New(url, job).Gatherer(registry)
	for _, label := range labels {
		name, labelValue, _ := strings.Cut(label, "=")
		pusher = pusher.Grouping(name, labelValue)
	}
	switch op {
	case "push":
		return pusher.Push()
	case "add":
		return pusher.Add()
	case "delete":
		return pusher.Delete()
	}
	return fmt.Errorf("-op must be push, add or delete, not %q", op)
}
