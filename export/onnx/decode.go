package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one decoded protobuf field.
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64 // varint, fixed32, fixed64 value
	b   []byte // bytes value
}

// walk decodes the fields of one message.
func walk(b []byte, f func(field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrProto, protowire.ParseError(n))
		}
		b = b[n:]
		fl := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			fl.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			fl.u = uint64(v)
		case protowire.Fixed64Type:
			fl.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			fl.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrProto, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(fl); err != nil {
			return err
		}
	}
	return nil
}

func (f field) need(t protowire.Type, what string) error {
	if f.typ != t {
		return fmt.Errorf("%w: %s (field %d) has wire type %d, want %d", ErrProto, what, f.num, f.typ, t)
	}
	return nil
}

func (f field) str(what string, dst *string) error {
	if err := f.need(protowire.BytesType, what); err != nil {
		return err
	}
	*dst = string(f.b)
	return nil
}

func (f field) int(what string, dst *int64) error {
	if err := f.need(protowire.VarintType, what); err != nil {
		return err
	}
	*dst = int64(f.u)
	return nil
}

// ints appends a repeated int64, packed or not.
func (f field) ints(what string, dst *[]int64) error {
	switch f.typ {
	case protowire.VarintType:
		*dst = append(*dst, int64(f.u))
		return nil
	case protowire.BytesType:
		b := f.b
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: packed %s: %v", ErrProto, what, protowire.ParseError(n))
			}
			*dst = append(*dst, int64(v))
			b = b[n:]
		}
		return nil
	}
	return fmt.Errorf("%w: %s has wire type %d", ErrProto, what, f.typ)
}

// Unmarshal decodes an ONNX ModelProto into a Model. It reads what Marshal
// writes and the same content written by other tools; it reports
// ErrUnsupported for content a Model cannot hold (other operator-set
// domains, tensors not stored as raw_data, element types other than FLOAT
// and INT64, non-tensor value types, functions, graph attributes) and
// ErrProto for malformed bytes. Unknown or irrelevant fields (doc strings,
// metadata) are skipped.
func Unmarshal(b []byte) (*Model, error) {
	m := &Model{}
	opsets := 0
	err := walk(b, func(f field) error {
		switch f.num {
		case modelIRVersion:
			return f.int("ir_version", &m.IRVersion)
		case modelProducerName:
			return f.str("producer_name", &m.ProducerName)
		case modelProducerVersion:
			return f.str("producer_version", &m.ProducerVersion)
		case modelGraph:
			if err := f.need(protowire.BytesType, "graph"); err != nil {
				return err
			}
			return m.unmarshalGraph(f.b)
		case modelOpsetImport:
			if err := f.need(protowire.BytesType, "opset_import"); err != nil {
				return err
			}
			var domain string
			var version int64
			if err := walk(f.b, func(f field) error {
				switch f.num {
				case opsetDomain:
					return f.str("opset domain", &domain)
				case opsetVersion:
					return f.int("opset version", &version)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain != "" && domain != "ai.onnx" {
				return fmt.Errorf("%w: operator set domain %q", ErrUnsupported, domain)
			}
			opsets++
			m.Opset = version
		case 20, 25: // training_info, functions
			return fmt.Errorf("%w: ModelProto field %d (training info or functions)", ErrUnsupported, f.num)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opsets != 1 {
		return nil, fmt.Errorf("%w: %d default-domain operator set imports, want 1", ErrUnsupported, opsets)
	}
	return m, nil
}

func (m *Model) unmarshalGraph(b []byte) error {
	return walk(b, func(f field) error {
		switch f.num {
		case graphNode:
			if err := f.need(protowire.BytesType, "node"); err != nil {
				return err
			}
			n, err := unmarshalNode(f.b)
			if err != nil {
				return err
			}
			m.Nodes = append(m.Nodes, n)
		case graphName:
			return f.str("graph name", &m.GraphName)
		case graphInitializer:
			if err := f.need(protowire.BytesType, "initializer"); err != nil {
				return err
			}
			t, err := unmarshalTensor(f.b)
			if err != nil {
				return err
			}
			m.Initializers = append(m.Initializers, t)
		case graphInput, graphOutput:
			if err := f.need(protowire.BytesType, "input/output"); err != nil {
				return err
			}
			v, err := unmarshalValueInfo(f.b)
			if err != nil {
				return err
			}
			if f.num == graphInput {
				m.Inputs = append(m.Inputs, v)
			} else {
				m.Outputs = append(m.Outputs, v)
			}
		case 15: // sparse_initializer
			return fmt.Errorf("%w: sparse initializers", ErrUnsupported)
		}
		return nil
	})
}

func unmarshalNode(b []byte) (Node, error) {
	var n Node
	err := walk(b, func(f field) error {
		switch f.num {
		case nodeInput, nodeOutput:
			var s string
			if err := f.str("node input/output", &s); err != nil {
				return err
			}
			if f.num == nodeInput {
				n.Inputs = append(n.Inputs, s)
			} else {
				n.Outputs = append(n.Outputs, s)
			}
		case nodeName:
			return f.str("node name", &n.Name)
		case nodeOpType:
			return f.str("op_type", &n.OpType)
		case nodeDomain:
			var d string
			if err := f.str("node domain", &d); err != nil {
				return err
			}
			if d != "" && d != "ai.onnx" {
				return fmt.Errorf("%w: node domain %q", ErrUnsupported, d)
			}
		case nodeAttribute:
			if err := f.need(protowire.BytesType, "attribute"); err != nil {
				return err
			}
			a, err := unmarshalAttr(f.b)
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		}
		return nil
	})
	return n, err
}

func unmarshalAttr(b []byte) (Attr, error) {
	var a Attr
	var typ int64
	err := walk(b, func(f field) error {
		switch f.num {
		case attrName:
			return f.str("attribute name", &a.Name)
		case attrType:
			return f.int("attribute type", &typ)
		case attrF:
			if err := f.need(protowire.Fixed32Type, "attribute f"); err != nil {
				return err
			}
			a.F = math.Float32frombits(uint32(f.u))
		case attrI:
			return f.int("attribute i", &a.I)
		case attrS:
			return f.str("attribute s", &a.S)
		case attrInts:
			return f.ints("attribute ints", &a.Ints)
		case attrFloats:
			switch f.typ {
			case protowire.Fixed32Type:
				a.Floats = append(a.Floats, math.Float32frombits(uint32(f.u)))
			case protowire.BytesType:
				if len(f.b)%4 != 0 {
					return fmt.Errorf("%w: packed floats of %d bytes", ErrProto, len(f.b))
				}
				for i := 0; i < len(f.b); i += 4 {
					a.Floats = append(a.Floats, math.Float32frombits(binary.LittleEndian.Uint32(f.b[i:])))
				}
			default:
				return fmt.Errorf("%w: attribute floats has wire type %d", ErrProto, f.typ)
			}
		case 5, 6, 9, 10, 11, 12, 14, 15, 21, 22, 23:
			return fmt.Errorf("%w: attribute %q field %d (tensor, graph, string list or reference)", ErrUnsupported, a.Name, f.num)
		}
		return nil
	})
	if err != nil {
		return a, err
	}
	a.Type = AttrType(typ)
	switch a.Type {
	case AttrFloat, AttrInt, AttrString, AttrFloats, AttrInts:
	default:
		return a, fmt.Errorf("%w: attribute %q of type %d", ErrUnsupported, a.Name, typ)
	}
	return a, nil
}

func unmarshalTensor(b []byte) (Tensor, error) {
	var t Tensor
	var dt int64
	var raw []byte
	hasRaw := false
	err := walk(b, func(f field) error {
		switch f.num {
		case tensorDims:
			return f.ints("dims", &t.Dims)
		case tensorDataType:
			return f.int("data_type", &dt)
		case tensorName:
			return f.str("tensor name", &t.Name)
		case tensorRawData:
			if err := f.need(protowire.BytesType, "raw_data"); err != nil {
				return err
			}
			raw, hasRaw = f.b, true
		case 3, 4, 5, 6, 7, 10, 11, 13, 14:
			return fmt.Errorf("%w: tensor %q stores data in field %d, not raw_data", ErrUnsupported, t.Name, f.num)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	t.DataType = DataType(dt)
	n := elems(t.Dims)
	if n < 0 {
		return t, fmt.Errorf("%w: tensor %q has dims %v", ErrInvalid, t.Name, t.Dims)
	}
	switch t.DataType {
	case Float:
		if !hasRaw || int64(len(raw)) != 4*n {
			return t, fmt.Errorf("%w: tensor %q: %d raw bytes for dims %v of float", ErrInvalid, t.Name, len(raw), t.Dims)
		}
		t.Float = make([]float32, n)
		for i := range t.Float {
			t.Float[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case Int64:
		if !hasRaw || int64(len(raw)) != 8*n {
			return t, fmt.Errorf("%w: tensor %q: %d raw bytes for dims %v of int64", ErrInvalid, t.Name, len(raw), t.Dims)
		}
		t.Int64 = make([]int64, n)
		for i := range t.Int64 {
			t.Int64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	default:
		return t, fmt.Errorf("%w: tensor %q of data type %d", ErrUnsupported, t.Name, dt)
	}
	return t, nil
}

func unmarshalValueInfo(b []byte) (ValueInfo, error) {
	var v ValueInfo
	err := walk(b, func(f field) error {
		switch f.num {
		case valueInfoName:
			return f.str("value name", &v.Name)
		case valueInfoType:
			if err := f.need(protowire.BytesType, "value type"); err != nil {
				return err
			}
			tensor := false
			if err := walk(f.b, func(f field) error {
				if f.num != typeTensorType {
					return nil
				}
				tensor = true
				if err := f.need(protowire.BytesType, "tensor_type"); err != nil {
					return err
				}
				return walk(f.b, func(f field) error {
					switch f.num {
					case tensorElemType:
						var et int64
						if err := f.int("elem_type", &et); err != nil {
							return err
						}
						v.ElemType = DataType(et)
					case tensorShape:
						if err := f.need(protowire.BytesType, "shape"); err != nil {
							return err
						}
						v.Shape = []Dim{}
						return walk(f.b, func(f field) error {
							if f.num != shapeDim {
								return nil
							}
							if err := f.need(protowire.BytesType, "dim"); err != nil {
								return err
							}
							var d Dim
							if err := walk(f.b, func(f field) error {
								switch f.num {
								case dimValue:
									d.Param = ""
									return f.int("dim_value", &d.Value)
								case dimParam:
									d.Value = 0
									return f.str("dim_param", &d.Param)
								}
								return nil
							}); err != nil {
								return err
							}
							v.Shape = append(v.Shape, d)
							return nil
						})
					}
					return nil
				})
			}); err != nil {
				return err
			}
			if !tensor {
				return fmt.Errorf("%w: value %q is not a tensor", ErrUnsupported, v.Name)
			}
		}
		return nil
	})
	return v, err
}

// UnmarshalTensor decodes a serialized TensorProto of type FLOAT or INT64
// stored as raw_data, such as the input_N.pb and output_N.pb files of ONNX's
// node tests.
func UnmarshalTensor(b []byte) (Tensor, error) { return unmarshalTensor(b) }

// ReadFile reads and decodes the named ONNX file.
func ReadFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
