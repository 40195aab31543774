package promhealth

import (
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// labelSet is a series' label pairs, const labels included, sorted by name
// as the exposition requires. It is built once per check (or breaker) and
// shared, read-only, by every scrape: prometheus.MustNewConstMetric would
// rebuild and sort it on every scrape, most of a scrape's cost.
type labelSet []*dto.LabelPair

// newLabelSet returns the sorted pairs of names=values and the const labels.
func newLabelSet(constLabels prometheus.Labels, names []string, values ...string) labelSet {
	pairs := make([]*dto.LabelPair, 0, len(constLabels)+len(names))
	for k, v := range constLabels {
		pairs = append(pairs, &dto.LabelPair{Name: ptr(k), Value: ptr(v)})
	}
	for i, n := range names {
		pairs = append(pairs, &dto.LabelPair{Name: ptr(n), Value: ptr(values[i])})
	}
	sort.Slice(pairs, func(i, j int) bool { return strings.Compare(pairs[i].GetName(), pairs[j].GetName()) < 0 })
	// Clipped: a wrapping registerer appends its own labels to a copy.
	return slices.Clip(pairs)
}

func ptr[T any](v T) *T { return &v }

// sample is a counter or gauge value with a prebuilt labelSet.
type sample struct {
	desc   *prometheus.Desc
	labels labelSet
	typ    prometheus.ValueType
	value  float64
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(out *dto.Metric) error {
	out.Label = s.labels
	v := s.value
	if s.typ == prometheus.CounterValue {
		out.Counter = &dto.Counter{Value: &v}
	} else {
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// histogram is a histogram's state with a prebuilt labelSet; buckets are
// per bucket (not cumulative), bounds its upper bounds, the last bucket
// +Inf (implicit in the exposition).
type histogram struct {
	desc    *prometheus.Desc
	labels  labelSet
	bounds  []float64
	buckets []uint64
	count   uint64
	sum     float64
}

func (h *histogram) Desc() *prometheus.Desc { return h.desc }

func (h *histogram) Write(out *dto.Metric) error {
	out.Label = h.labels
	count, sum := h.count, h.sum
	bounds := slices.Clone(h.bounds) // the encoder gets pointers: not into Options
	b := make([]*dto.Bucket, len(h.bounds))
	cum := make([]uint64, len(h.bounds))
	store := make([]dto.Bucket, len(h.bounds))
	var acc uint64
	for i := range h.bounds {
		acc += h.buckets[i]
		cum[i] = acc
		store[i].CumulativeCount, store[i].UpperBound = &cum[i], &bounds[i]
		b[i] = &store[i]
	}
	out.Histogram = &dto.Histogram{SampleCount: &count, SampleSum: &sum, Bucket: b}
	return nil
}
