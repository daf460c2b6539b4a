import json, struct, sys
def read(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'DARTSGO1'
    h = struct.unpack('<I', b[12:16])[0]
    hdr = json.loads(b[16:16+h])
    data = b[16+h:-4]
    ts = {t['name']: (t['dtype'], t['shape'], data[t['offset']:t['offset']+t['length']]) for t in hdr['tensors']}
    return hdr['meta'], ts
ma, ta = read(sys.argv[1]); mb, tb = read(sys.argv[2])
same = ta == tb
print(('same' if same else 'DIFF'), len(ta), 'tensors', sys.argv[1].split('/')[-2])
if not same:
    for k in ta:
        if k not in tb or ta[k] != tb[k]: print('  differs:', k)
