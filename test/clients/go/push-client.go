// A batch job that pushes with client_golang's push package (protobuf), for the client tests.
// Usage: push-client -url URL -job JOB -op push|add|delete [-value N] [-label name=value]...
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

func (l *labelFlags) String() string     { return strings.Join(*l, ",") }
func (l *labelFlags) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	url := flag.String("url", "", "the gateway's base URL")
	job := flag.String("job", "", "the job name")
	op := flag.String("op", "push", "push, add or delete")
	value := flag.Float64("value", 1, "the value pushed")
	var labels labelFlags
	flag.Var(&labels, "label", "a grouping label name=value (repeatable)")
	flag.Parse()

	registry := prometheus.NewRegistry()
	items := prometheus.NewCounter(prometheus.CounterOpts{Name: "go_client_items_total", Help: "Items processed by the Go client."})
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_client_last_success_seconds", Help: "Last success of the Go client."})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "go_client_duration_seconds", Help: "Duration seen by the Go client.", Buckets: []float64{1, 5}})
	registry.MustRegister(items, last, duration)
	items.Add(*value)
	last.Set(*value)
	duration.Observe(*value)

	pusher := push.New(*url, *job).Gatherer(registry)
	for _, label := range labels {
		name, labelValue, _ := strings.Cut(label, "=")
		pusher = pusher.Grouping(name, labelValue)
	}
	var err error
	switch *op {
	case "push":
		err = pusher.Push()
	case "add":
		err = pusher.Add()
	case "delete":
		err = pusher.Delete()
	default:
		err = fmt.Errorf("unknown -op %q", *op)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
