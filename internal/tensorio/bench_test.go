package tensorio

import (
	"bytes"
	"testing"
)

const benchElems = 2 << 20

func BenchmarkWrite(b *testing.B) {
	ts := []Tensor{{Name: "w", F32: make([]float32, benchElems)}}
	var buf bytes.Buffer
	b.SetBytes(benchElems * 4)
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, nil, ts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, nil, []Tensor{{Name: "w", F32: make([]float32, benchElems)}}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(benchElems * 4)
	for b.Loop() {
		if _, _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
