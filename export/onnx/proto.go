package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx.proto (Debian python3-onnx 1.12.0,
// /usr/lib/python3/dist-packages/onnx/onnx.proto); the line of each
// declaration in that file is given.
const (
	modelIRVersion       = 1 // ModelProto.ir_version, int64 (l. 343)
	modelProducerName    = 2 // ModelProto.producer_name, string (l. 358)
	modelProducerVersion = 3 // ModelProto.producer_version, string (l. 363)
	modelGraph           = 7 // ModelProto.graph, GraphProto (l. 380)
	modelOpsetImport     = 8 // ModelProto.opset_import, repeated OperatorSetIdProto (l. 353)

	opsetDomain  = 1 // OperatorSetIdProto.domain, string (l. 749)
	opsetVersion = 2 // OperatorSetIdProto.version, int64 (l. 753)

	graphNode        = 1  // GraphProto.node, repeated NodeProto (l. 441)
	graphName        = 2  // GraphProto.name, string (l. 444)
	graphInitializer = 5  // GraphProto.initializer, repeated TensorProto (l. 450)
	graphInput       = 11 // GraphProto.input, repeated ValueInfoProto (l. 459)
	graphOutput      = 12 // GraphProto.output, repeated ValueInfoProto (l. 460)

	nodeInput     = 1 // NodeProto.input, repeated string (l. 197)
	nodeOutput    = 2 // NodeProto.output, repeated string (l. 198)
	nodeName      = 3 // NodeProto.name, string (l. 202)
	nodeOpType    = 4 // NodeProto.op_type, string (l. 205)
	nodeAttribute = 5 // NodeProto.attribute, repeated AttributeProto (l. 210)
	nodeDomain    = 7 // NodeProto.domain, string (l. 207)

	attrName   = 1  // AttributeProto.name, string
	attrF      = 2  // AttributeProto.f, float
	attrI      = 3  // AttributeProto.i, int64
	attrS      = 4  // AttributeProto.s, bytes
	attrFloats = 7  // AttributeProto.floats, repeated float
	attrInts   = 8  // AttributeProto.ints, repeated int64 (l. 169)
	attrType   = 20 // AttributeProto.type, AttributeType enum (l. 155)

	tensorDims     = 1 // TensorProto.dims, repeated int64 (l. 512)
	tensorDataType = 2 // TensorProto.data_type, int32 (l. 516)
	tensorName     = 8 // TensorProto.name, string (l. 560)
	tensorRawData  = 9 // TensorProto.raw_data, bytes (l. 580)

	valueInfoName = 1 // ValueInfoProto.name, string (l. 181)
	valueInfoType = 2 // ValueInfoProto.type, TypeProto (l. 184)

	typeTensorType = 1 // TypeProto.tensor_type, TypeProto.Tensor (l. 712)
	tensorElemType = 1 // TypeProto.Tensor.elem_type, int32 (l. 671)
	tensorShape    = 2 // TypeProto.Tensor.shape, TensorShapeProto (l. 672)
	shapeDim       = 1 // TensorShapeProto.dim, repeated Dimension (l. 659)
	dimValue       = 1 // TensorShapeProto.Dimension.dim_value, int64 (l. 649)
	dimParam       = 2 // TensorShapeProto.Dimension.dim_param, string (l. 650)
)

// DataType is TensorProto.DataType.
type DataType int32

// The element types this package writes (TensorProto.DataType, l. 483, 489).
const (
	Float DataType = 1
	Int64 DataType = 7
)

// AttrType is AttributeProto.AttributeType (l. 115-133).
type AttrType int32

// The attribute types this package writes.
const (
	AttrFloat  AttrType = 1
	AttrInt    AttrType = 2
	AttrString AttrType = 3
	AttrFloats AttrType = 6
	AttrInts   AttrType = 7
)

// Attr is a node attribute. Type says which value field is used.
type Attr struct {
	Name   string
	Type   AttrType
	F      float32
	I      int64
	S      string
	Floats []float32
	Ints   []int64
}

// Int returns an INT attribute.
func Int(name string, v int64) Attr { return Attr{Name: name, Type: AttrInt, I: v} }

// Ints returns an INTS attribute.
func Ints(name string, v ...int64) Attr { return Attr{Name: name, Type: AttrInts, Ints: v} }

// FloatAttr returns a FLOAT attribute.
func FloatAttr(name string, v float32) Attr { return Attr{Name: name, Type: AttrFloat, F: v} }

// Node is a NodeProto of the default domain.
type Node struct {
	OpType  string
	Name    string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Attr returns the attribute called name, if the node has it.
func (n *Node) Attr(name string) (Attr, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Tensor is a TensorProto initializer of type Float (data in Float) or
// Int64 (data in Int64), stored as raw_data.
type Tensor struct {
	Name     string
	Dims     []int64
	DataType DataType
	Float    []float32
	Int64    []int64
}

// Dim is one dimension of a value's shape: a number, or a symbolic name
// (Param, e.g. "N") when Param is not empty.
type Dim struct {
	Value int64
	Param string
}

// String returns the dimension as ONNX tools print it: the number or the
// symbolic name.
func (d Dim) String() string {
	if d.Param != "" {
		return d.Param
	}
	return fmt.Sprint(d.Value)
}

// ValueInfo is a ValueInfoProto of a tensor type: a graph input or output.
type ValueInfo struct {
	Name     string
	ElemType DataType
	Shape    []Dim
}

// Model is a ModelProto with one graph and one operator-set import of the
// default domain.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Opset           int64 // version of the default ("") operator set
	GraphName       string
	Nodes           []Node
	Initializers    []Tensor
	Inputs          []ValueInfo
	Outputs         []ValueInfo
}

// Errors returned (wrapped) by Unmarshal and Model.Check.
var (
	ErrProto       = errors.New("onnx: malformed protocol buffer")
	ErrUnsupported = errors.New("onnx: unsupported model content")
	ErrInvalid     = errors.New("onnx: invalid model")
)

type enc []byte

func (e *enc) str(num protowire.Number, s string) {
	*e = protowire.AppendTag(*e, num, protowire.BytesType)
	*e = protowire.AppendString(*e, s)
}

func (e *enc) bytes(num protowire.Number, b []byte) {
	*e = protowire.AppendTag(*e, num, protowire.BytesType)
	*e = protowire.AppendBytes(*e, b)
}

func (e *enc) varint(num protowire.Number, v int64) {
	*e = protowire.AppendTag(*e, num, protowire.VarintType)
	*e = protowire.AppendVarint(*e, uint64(v))
}

func (e *enc) float(num protowire.Number, v float32) {
	*e = protowire.AppendTag(*e, num, protowire.Fixed32Type)
	*e = protowire.AppendFixed32(*e, math.Float32bits(v))
}

func (e *enc) optStr(num protowire.Number, s string) {
	if s != "" {
		e.str(num, s)
	}
}

// Marshal checks m (see Check) and encodes it as an ONNX ModelProto.
func (m *Model) Marshal() ([]byte, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	var b enc
	b.varint(modelIRVersion, m.IRVersion)
	b.optStr(modelProducerName, m.ProducerName)
	b.optStr(modelProducerVersion, m.ProducerVersion)
	b.bytes(modelGraph, m.marshalGraph())
	var op enc
	op.str(opsetDomain, "")
	op.varint(opsetVersion, m.Opset)
	b.bytes(modelOpsetImport, op)
	return b, nil
}

func (m *Model) marshalGraph() []byte {
	var g enc
	for i := range m.Nodes {
		g.bytes(graphNode, marshalNode(&m.Nodes[i]))
	}
	g.optStr(graphName, m.GraphName)
	for i := range m.Initializers {
		g.bytes(graphInitializer, marshalTensor(&m.Initializers[i]))
	}
	for i := range m.Inputs {
		g.bytes(graphInput, marshalValueInfo(&m.Inputs[i]))
	}
	for i := range m.Outputs {
		g.bytes(graphOutput, marshalValueInfo(&m.Outputs[i]))
	}
	return g
}

func marshalNode(n *Node) []byte {
	var b enc
	for _, s := range n.Inputs {
		b.str(nodeInput, s)
	}
	for _, s := range n.Outputs {
		b.str(nodeOutput, s)
	}
	b.optStr(nodeName, n.Name)
	b.str(nodeOpType, n.OpType)
	attrs := append([]Attr(nil), n.Attrs...)
	sort.SliceStable(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	for i := range attrs {
		b.bytes(nodeAttribute, marshalAttr(&attrs[i]))
	}
	return b
}

func marshalAttr(a *Attr) []byte {
	var b enc
	b.str(attrName, a.Name)
	switch a.Type {
	case AttrFloat:
		b.float(attrF, a.F)
	case AttrInt:
		b.varint(attrI, a.I)
	case AttrString:
		b.str(attrS, a.S)
	case AttrFloats:
		for _, v := range a.Floats {
			b.float(attrFloats, v)
		}
	case AttrInts:
		for _, v := range a.Ints {
			b.varint(attrInts, v)
		}
	}
	b.varint(attrType, int64(a.Type))
	return b
}

func marshalTensor(t *Tensor) []byte {
	var b enc
	for _, d := range t.Dims {
		b.varint(tensorDims, d)
	}
	b.varint(tensorDataType, int64(t.DataType))
	b.str(tensorName, t.Name)
	var raw []byte
	if t.DataType == Float {
		raw = make([]byte, 4*len(t.Float))
		for i, v := range t.Float {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	} else {
		raw = make([]byte, 8*len(t.Int64))
		for i, v := range t.Int64 {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
	}
	b.bytes(tensorRawData, raw)
	return b
}

func marshalValueInfo(v *ValueInfo) []byte {
	var shape enc
	for _, d := range v.Shape {
		var dim enc
		if d.Param != "" {
			dim.str(dimParam, d.Param)
		} else {
			dim.varint(dimValue, d.Value)
		}
		shape.bytes(shapeDim, dim)
	}
	var tt enc
	tt.varint(tensorElemType, int64(v.ElemType))
	tt.bytes(tensorShape, shape)
	var typ enc
	typ.bytes(typeTensorType, tt)
	var b enc
	b.str(valueInfoName, v.Name)
	b.bytes(valueInfoType, typ)
	return b
}

// WriteFile marshals m and writes it to the named file.
func (m *Model) WriteFile(path string) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// elems is the element count of dims, or -1 on a negative dimension or
// overflow.
func elems(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 || (d != 0 && n > (1<<40)/d) {
			return -1
		}
		n *= d
	}
	return n
}

// Check reports structural errors that would make the file invalid: empty
// or duplicate value names, values used before any node, initializer or
// input defines them, initializers whose data does not match their dims,
// unknown data or attribute types, and outputs nothing produces.
func (m *Model) Check() error {
	defined := map[string]bool{}
	def := func(kind, name string) error {
		if name == "" {
			return fmt.Errorf("%w: %s with an empty name", ErrInvalid, kind)
		}
		if defined[name] {
			return fmt.Errorf("%w: value %q is defined twice", ErrInvalid, name)
		}
		defined[name] = true
		return nil
	}
	for i := range m.Initializers {
		t := &m.Initializers[i]
		if err := def("initializer", t.Name); err != nil {
			return err
		}
		n := elems(t.Dims)
		switch {
		case t.DataType == Float && t.Int64 == nil && int64(len(t.Float)) == n:
		case t.DataType == Int64 && t.Float == nil && int64(len(t.Int64)) == n:
		default:
			return fmt.Errorf("%w: initializer %q: data type %d with dims %v does not match its data", ErrInvalid, t.Name, t.DataType, t.Dims)
		}
	}
	for _, v := range m.Inputs {
		if err := def("input", v.Name); err != nil {
			return err
		}
		if v.ElemType != Float && v.ElemType != Int64 {
			return fmt.Errorf("%w: input %q has element type %d", ErrInvalid, v.Name, v.ElemType)
		}
	}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if n.OpType == "" {
			return fmt.Errorf("%w: node %d has no op_type", ErrInvalid, i)
		}
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				return fmt.Errorf("%w: node %q (%s) uses %q before it is defined", ErrInvalid, n.Name, n.OpType, in)
			}
		}
		for _, a := range n.Attrs {
			switch a.Type {
			case AttrFloat, AttrInt, AttrString, AttrFloats, AttrInts:
			default:
				return fmt.Errorf("%w: node %q attribute %q has type %d", ErrInvalid, n.Name, a.Name, a.Type)
			}
		}
		for _, out := range n.Outputs {
			if err := def("node output", out); err != nil {
				return err
			}
		}
	}
	if len(m.Outputs) == 0 {
		return fmt.Errorf("%w: the graph has no output", ErrInvalid)
	}
	for _, v := range m.Outputs {
		if !defined[v.Name] {
			return fmt.Errorf("%w: output %q is not produced", ErrInvalid, v.Name)
		}
	}
	return nil
}
