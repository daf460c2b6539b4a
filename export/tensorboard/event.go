package tensorboard

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// FileVersion is the file_version of the first event of every event file.
const FileVersion = "brain.Event:2"

// Field numbers (see the package comment for their source).
const (
	fEventWallTime    = 1 // Event.wall_time, double
	fEventStep        = 2 // Event.step, int64
	fEventFileVersion = 3 // Event.file_version, string
	fEventSummary     = 5 // Event.summary, Summary

	fSummaryValue = 1 // Summary.value, repeated Value

	fValueTag         = 1 // Summary.Value.tag, string
	fValueSimpleValue = 2 // Summary.Value.simple_value, float
	fValueImage       = 4 // Summary.Value.image, Summary.Image
	fValueHisto       = 5 // Summary.Value.histo, HistogramProto

	fImageHeight     = 1 // Summary.Image.height, int32
	fImageWidth      = 2 // Summary.Image.width, int32
	fImageColorspace = 3 // Summary.Image.colorspace, int32
	fImageEncoded    = 4 // Summary.Image.encoded_image_string, bytes

	fHistoMin         = 1 // HistogramProto.min, double
	fHistoMax         = 2 // HistogramProto.max, double
	fHistoNum         = 3 // HistogramProto.num, double
	fHistoSum         = 4 // HistogramProto.sum, double
	fHistoSumSquares  = 5 // HistogramProto.sum_squares, double
	fHistoBucketLimit = 6 // HistogramProto.bucket_limit, packed double
	fHistoBucket      = 7 // HistogramProto.bucket, packed double
)

// Event is the subset of tensorboard.Event this package writes and reads.
// At most one of FileVersion and Summary is set (they share a oneof).
type Event struct {
	WallTime    float64
	Step        int64
	FileVersion string
	Summary     []Value // nil when the event has no summary
}

// Value is one Summary.Value: a tag and exactly one of SimpleValue, Image
// and Histo (a Value read from a file with another kind of value, such as a
// tensor, has none of them set).
type Value struct {
	Tag         string
	SimpleValue *float32
	Image       *Image
	Histo       *Histo
}

// Image is a Summary.Image: an encoded (PNG) image and its size.
// Colorspace is 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
type Image struct {
	Height, Width, Colorspace int32
	Encoded                   []byte
}

// Histo is a HistogramProto. Bucket i counts the values in
// [BucketLimit[i-1], BucketLimit[i]) (the first from -DBL_MAX).
type Histo struct {
	Min, Max, Num, Sum, SumSquares float64
	BucketLimit, Bucket            []float64
}

func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	if v == 0 && !math.Signbit(v) {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendPacked(b []byte, num protowire.Number, vs []float64) []byte {
	if len(vs) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(8*len(vs)))
	for _, v := range vs {
		b = protowire.AppendFixed64(b, math.Float64bits(v))
	}
	return b
}

// Marshal encodes e as a tensorboard.Event protocol buffer, canonically
// (see the package comment).
func (e *Event) Marshal() []byte {
	var b []byte
	b = appendDouble(b, fEventWallTime, e.WallTime)
	b = appendInt(b, fEventStep, e.Step)
	if e.FileVersion != "" {
		b = appendBytes(b, fEventFileVersion, []byte(e.FileVersion))
	} else if e.Summary != nil {
		var s []byte
		for i := range e.Summary {
			s = appendBytes(s, fSummaryValue, e.Summary[i].marshal())
		}
		b = appendBytes(b, fEventSummary, s)
	}
	return b
}

func (v *Value) marshal() []byte {
	var b []byte
	if v.Tag != "" {
		b = appendBytes(b, fValueTag, []byte(v.Tag))
	}
	switch {
	case v.SimpleValue != nil:
		// A oneof member: written even when it is zero.
		b = protowire.AppendTag(b, fValueSimpleValue, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(*v.SimpleValue))
	case v.Image != nil:
		var m []byte
		m = appendInt(m, fImageHeight, int64(v.Image.Height))
		m = appendInt(m, fImageWidth, int64(v.Image.Width))
		m = appendInt(m, fImageColorspace, int64(v.Image.Colorspace))
		if len(v.Image.Encoded) > 0 {
			m = appendBytes(m, fImageEncoded, v.Image.Encoded)
		}
		b = appendBytes(b, fValueImage, m)
	case v.Histo != nil:
		h := v.Histo
		var m []byte
		m = appendDouble(m, fHistoMin, h.Min)
		m = appendDouble(m, fHistoMax, h.Max)
		m = appendDouble(m, fHistoNum, h.Num)
		m = appendDouble(m, fHistoSum, h.Sum)
		m = appendDouble(m, fHistoSumSquares, h.SumSquares)
		m = appendPacked(m, fHistoBucketLimit, h.BucketLimit)
		m = appendPacked(m, fHistoBucket, h.Bucket)
		b = appendBytes(b, fValueHisto, m)
	}
	return b
}

// fields calls f for each field of the message b, with the field's number,
// wire type and, for varint and fixed types, its value in u, for bytes
// its contents in p. Unknown fields are passed on like known ones, so the
// caller can skip them.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, u uint64, p []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrProto, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			u uint64
			p []byte
		)
		switch typ {
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			u = uint64(v)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			p, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrProto, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, u, p); err != nil {
			return err
		}
	}
	return nil
}

func want(num protowire.Number, typ, w protowire.Type) error {
	if typ != w {
		return fmt.Errorf("%w: field %d has wire type %d, want %d", ErrProto, num, typ, w)
	}
	return nil
}

// UnmarshalEvent decodes a tensorboard.Event protocol buffer. Fields this
// package does not model are skipped; a malformed buffer is an error
// (ErrProto).
func UnmarshalEvent(b []byte) (*Event, error) {
	e := &Event{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, u uint64, p []byte) error {
		switch num {
		case fEventWallTime:
			if err := want(num, typ, protowire.Fixed64Type); err != nil {
				return err
			}
			e.WallTime = math.Float64frombits(u)
		case fEventStep:
			if err := want(num, typ, protowire.VarintType); err != nil {
				return err
			}
			e.Step = int64(u)
		case fEventFileVersion:
			if err := want(num, typ, protowire.BytesType); err != nil {
				return err
			}
			e.FileVersion, e.Summary = string(p), nil
		case fEventSummary:
			if err := want(num, typ, protowire.BytesType); err != nil {
				return err
			}
			e.FileVersion = ""
			if e.Summary == nil {
				e.Summary = []Value{}
			}
			return fields(p, func(num protowire.Number, typ protowire.Type, _ uint64, p []byte) error {
				if num != fSummaryValue {
					return nil
				}
				if err := want(num, typ, protowire.BytesType); err != nil {
					return err
				}
				v, err := unmarshalValue(p)
				if err != nil {
					return err
				}
				e.Summary = append(e.Summary, v)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func unmarshalValue(b []byte) (Value, error) {
	var v Value
	err := fields(b, func(num protowire.Number, typ protowire.Type, u uint64, p []byte) error {
		switch num {
		case fValueTag:
			if err := want(num, typ, protowire.BytesType); err != nil {
				return err
			}
			v.Tag = string(p)
		case fValueSimpleValue:
			if err := want(num, typ, protowire.Fixed32Type); err != nil {
				return err
			}
			f := math.Float32frombits(uint32(u))
			v.SimpleValue, v.Image, v.Histo = &f, nil, nil
		case fValueImage:
			if err := want(num, typ, protowire.BytesType); err != nil {
				return err
			}
			im := &Image{}
			if err := fields(p, func(num protowire.Number, typ protowire.Type, u uint64, p []byte) error {
				switch num {
				case fImageHeight, fImageWidth, fImageColorspace:
					if err := want(num, typ, protowire.VarintType); err != nil {
						return err
					}
					x := int32(u)
					switch num {
					case fImageHeight:
						im.Height = x
					case fImageWidth:
						im.Width = x
					default:
						im.Colorspace = x
					}
				case fImageEncoded:
					if err := want(num, typ, protowire.BytesType); err != nil {
						return err
					}
					im.Encoded = append([]byte{}, p...)
				}
				return nil
			}); err != nil {
				return err
			}
			v.SimpleValue, v.Image, v.Histo = nil, im, nil
		case fValueHisto:
			if err := want(num, typ, protowire.BytesType); err != nil {
				return err
			}
			h, err := unmarshalHisto(p)
			if err != nil {
				return err
			}
			v.SimpleValue, v.Image, v.Histo = nil, nil, h
		}
		return nil
	})
	return v, err
}

func unmarshalHisto(b []byte) (*Histo, error) {
	h := &Histo{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, u uint64, p []byte) error {
		switch num {
		case fHistoMin, fHistoMax, fHistoNum, fHistoSum, fHistoSumSquares:
			if err := want(num, typ, protowire.Fixed64Type); err != nil {
				return err
			}
			x := math.Float64frombits(u)
			switch num {
			case fHistoMin:
				h.Min = x
			case fHistoMax:
				h.Max = x
			case fHistoNum:
				h.Num = x
			case fHistoSum:
				h.Sum = x
			default:
				h.SumSquares = x
			}
		case fHistoBucketLimit, fHistoBucket:
			dst := &h.BucketLimit
			if num == fHistoBucket {
				dst = &h.Bucket
			}
			switch typ {
			case protowire.Fixed64Type: // unpacked element, allowed by the spec
				*dst = append(*dst, math.Float64frombits(u))
			case protowire.BytesType:
				if len(p)%8 != 0 {
					return fmt.Errorf("%w: packed doubles of %d bytes", ErrProto, len(p))
				}
				for i := 0; i < len(p); i += 8 {
					v, _ := protowire.ConsumeFixed64(p[i:])
					*dst = append(*dst, math.Float64frombits(v))
				}
			default:
				return fmt.Errorf("%w: field %d has wire type %d", ErrProto, num, typ)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}
