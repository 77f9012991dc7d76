package org.blt4j.io;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import org.blt4j.Blt4jException;

/**
 * The data.pkl of a torch.save zip, unpickled with an allow-list: razorvine's Unpickler for the plain opcodes (dict,
 * list, tuple, str, numbers, memo), and every opcode that names or builds a Python object intercepted here. GLOBAL and
 * STACK_GLOBAL resolve only the names in {@link #ALLOWED}; any other name (os.system, builtins.eval, ...) is refused
 * on the opcode that names it, before anything could call it. INST, OBJ, NEWOBJ(_EX), EXT* and text PERSID are
 * refused outright; BUILD is accepted only on an OrderedDict (a state dict's {@code _metadata}, dropped).
 */
final class TorchPickle extends Unpickler {

    /** A storage class (torch.FloatStorage, ...): only a tag inside a persistent id, never constructed. */
    record StorageType(String name, DType dtype) {}

    /** A storage named by a persistent id ('storage', type, key, location, numel): file data/KEY. */
    record Storage(DType dtype, String key, long numel) {}

    /** A contiguous tensor: {@code numel} elements of {@code storage} from element {@code offset}. */
    record Tensor(Storage storage, long offset, long[] shape) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** collections.OrderedDict (kept in order). */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {}

    private static final Map<String, Object> ALLOWED = Map.of(
            "torch._utils._rebuild_tensor_v2", (Ctor) TorchPickle::rebuildTensor,
            "torch._utils._rebuild_parameter", (Ctor) TorchPickle::rebuildParameter,
            "collections.OrderedDict", (Ctor) TorchPickle::orderedDict,
            "torch.FloatStorage", new StorageType("torch.FloatStorage", DType.F32),
            "torch.BFloat16Storage", new StorageType("torch.BFloat16Storage", DType.BF16),
            "torch.HalfStorage", new StorageType("torch.HalfStorage", DType.F16));

    /** An allowed callable; its argument errors surface as PickleException and are reported with the file. */
    @FunctionalInterface
    private interface Ctor extends IObjectConstructor {}

    private final String file;

    /** @param file the file being read, for messages ("x/consolidated.pth (data.pkl)"); load() must get a ByteArrayInputStream */
    TorchPickle(String file) {
        this.file = file;
    }

    /** The names GLOBAL may resolve, for messages and docs. */
    static String allowed() {
        return String.join(", ", ALLOWED.keySet().stream().sorted().toList());
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = line();
                String name = line();
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n))
                    throw refuse("a STACK_GLOBAL whose module and name are not strings");
                stack.add(resolve(m, n));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BUILD -> {
                stack.pop();                                   // the state: an OrderedDict's _metadata, not needed
                if (!(stack.peek() instanceof OrderedDict)) throw refuse("a BUILD (__setstate__) on a non-OrderedDict object");
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST, Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX ->
                    throw refuse("an object construction opcode (" + key + ")");
            case Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 -> throw refuse("an extension-registry global (EXT" + key + ")");
            case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> {
                checkLength(4);
                return super.dispatch(key);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                checkLength(8);
                return super.dispatch(key);
            }
            default -> {
                return super.dispatch(key);
            }
        }
    }

    /**
     * A length-prefixed value must fit in what is left of the pickle (razorvine allocates the length before reading,
     * so a forged length would exhaust the heap). The pickle is read from a ByteArrayInputStream: mark/reset and
     * available() are exact.
     */
    private void checkLength(int width) throws IOException {
        input.mark(width);
        byte[] b = input.readNBytes(width);
        input.reset();
        if (b.length < width) throw new IOException("premature end of the pickle");
        long n = 0;
        for (int i = width - 1; i >= 0; i--) n = (n << 8) | (b[i] & 0xff);
        if (n < 0 || n > input.available() - width)
            throw new IOException("a value of " + Long.toUnsignedString(n) + " bytes in a pickle with "
                    + (input.available() - width) + " bytes left");
    }

    /** One text line of GLOBAL, without its newline; the end of the input before a newline is an error. */
    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = input.read()) != '\n'; ) {
            if (c < 0) throw new IOException("premature end of the pickle inside a GLOBAL");
            if (sb.length() > 512) throw new IOException("a GLOBAL name longer than 512 characters");
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** Tensor storages only: ('storage', StorageType, key, location, numel). */
    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)
                || !(t[2] instanceof String k) || !(t[3] instanceof String) || !(t[4] instanceof Number n))
            throw refuse("a persistent id that is not a tensor storage: " + describe(pid));
        if (n.longValue() < 0) throw refuse("a storage with " + n + " elements");
        return new Storage(type.dtype(), k, n.longValue());
    }

    private Object resolve(String module, String name) {
        Object o = ALLOWED.get(module + "." + name);
        if (o == null && module.equals("torch") && name.endsWith("Storage"))
            throw new Blt4jException(file + ": a tensor is stored as torch." + name + "; blt4j reads FloatStorage,"
                    + " BFloat16Storage and HalfStorage (float32, bfloat16, float16) only: convert the weights first");
        if (o == null)
            throw new Blt4jException(file + ": the pickle names the Python global '" + module + "." + name
                    + "', which blt4j refuses (it rebuilds tensors and plain containers only: " + allowed()
                    + "). A model checkpoint has no use for it: the file may be malicious; nothing was called");
        return o;
    }

    private Blt4jException refuse(String what) {
        return new Blt4jException(file + ": the pickle holds " + what + ", which blt4j refuses (it rebuilds tensors"
                + " and plain containers only: " + allowed() + "); nothing was called");
    }

    // ---- the allowed callables ----

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private static Object rebuildTensor(Object[] a) {
        if (a.length < 6 || !(a[0] instanceof Storage s) || !(a[1] instanceof Number off) || !(a[2] instanceof Object[] size)
                || !(a[3] instanceof Object[] stride) || size.length != stride.length)
            throw new PickleException("_rebuild_tensor_v2 called with unexpected arguments " + describe(a));
        long[] shape = longs(size), strides = longs(stride);
        long expect = 1, numel = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] < 0) throw new PickleException("tensor with negative size " + Arrays.toString(shape));
            if (shape[i] != 1 && strides[i] != expect)             // a size-1 dimension's stride does not matter
                throw new PickleException("tensor of shape " + Arrays.toString(shape) + " has strides "
                        + Arrays.toString(strides) + ": not contiguous (a view or transpose was saved); blt4j reads"
                        + " contiguous tensors only: re-save it with .contiguous()");
            expect *= shape[i];
            numel *= shape[i];
        }
        if (off.longValue() < 0 || off.longValue() + numel > s.numel())
            throw new PickleException("tensor of shape " + Arrays.toString(shape) + " at offset " + off
                    + " reaches past its storage of " + s.numel() + " elements");
        return new Tensor(s, off.longValue(), shape);
    }

    /** _rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself. */
    private static Object rebuildParameter(Object[] a) {
        if (a.length != 3 || !(a[0] instanceof Tensor t))
            throw new PickleException("_rebuild_parameter called with unexpected arguments " + describe(a));
        return t;
    }

    /** OrderedDict() or OrderedDict([(k, v), ...]). */
    private static Object orderedDict(Object[] a) {
        OrderedDict d = new OrderedDict();
        if (a.length == 0) return d;
        if (a.length == 1 && a[0] instanceof java.util.List<?> items) {
            for (Object it : items) {
                if (!(it instanceof Object[] kv) || kv.length != 2) throw new PickleException("OrderedDict item is not a pair");
                d.put(kv[0], kv[1]);
            }
            return d;
        }
        throw new PickleException("OrderedDict called with unexpected arguments " + describe(a));
    }

    private static long[] longs(Object[] xs) {
        long[] out = new long[xs.length];
        for (int i = 0; i < xs.length; i++) {
            if (!(xs[i] instanceof Number n)) throw new PickleException("tensor size/stride holds a non-integer " + xs[i]);
            out[i] = n.longValue();
        }
        return out;
    }

    private static String describe(Object o) {
        String s = o instanceof Object[] a ? Arrays.deepToString(a) : String.valueOf(o);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
