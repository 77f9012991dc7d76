package org.blt4j.io;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
 * Dict keys and set elements are hashed when inserted, so they must be a str, an int (or float, bool, None) or a flat
 * tuple of those (see {@link #checkKey}): a list key made of memo references to one list is a DAG whose
 * ArrayList.hashCode walks 2^depth nodes. Offsets, sizes and numels must be ints in [0, 2^53].
 */
final class TorchPickle extends Unpickler {

    /** A storage class (torch.FloatStorage, ...): only a tag inside a persistent id, never constructed. */
    record StorageType(String name, DType dtype) {}

    /** A storage named by a persistent id ('storage', type, key, location, numel): file data/KEY. */
    record Storage(DType dtype, String key, long numel) {}

    /** A contiguous tensor: {@code numel} elements of {@code storage} from element {@code offset} (all checked <= 2^53). */
    record Tensor(Storage storage, long offset, long[] shape) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** The largest count (numel, offset, size, stride) accepted: 2^53, far above any model, far below overflow. */
    static final long MAX_COUNT = 1L << 53;

    /** describe() stops after this many characters (a persistent id may be a DAG of 2^40 tuples). */
    private static final int DESCRIBE_BUDGET = 200;

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
            // razorvine puts keys straight into a HashMap (and SETITEMS through a HashMap: file order lost, the first of
            // two equal keys kept); here each key is checked first, and items go in in file order, the last one winning
            case Opcodes.EMPTY_DICT -> {                               // a Python dict keeps its order
                stack.add(new LinkedHashMap<>());
                return NO_RETURN_VALUE;
            }
            case Opcodes.SETITEM -> {
                Object value = stack.pop();
                Object k = stack.pop();
                dictOnTop("SETITEM").put(checkKey(k, "dict key"), value);
                return NO_RETURN_VALUE;
            }
            case Opcodes.SETITEMS -> {
                java.util.List<Object> items = stack.pop_all_since_marker();
                if (items.size() % 2 != 0) throw new PickleException("SETITEMS with an odd number of items");
                Map<Object, Object> d = dictOnTop("SETITEMS");
                for (int i = 0; i < items.size(); i += 2) d.put(checkKey(items.get(i), "dict key"), items.get(i + 1));
                return NO_RETURN_VALUE;
            }
            case Opcodes.DICT -> {
                java.util.List<Object> items = stack.pop_all_since_marker();
                if (items.size() % 2 != 0) throw new PickleException("DICT with an odd number of items");
                Map<Object, Object> d = new LinkedHashMap<>();
                for (int i = 0; i < items.size(); i += 2) d.put(checkKey(items.get(i), "dict key"), items.get(i + 1));
                stack.add(d);
                return NO_RETURN_VALUE;
            }
            case Opcodes.ADDITEMS, Opcodes.FROZENSET -> {           // set elements are hashed like keys
                java.util.List<Object> items = stack.pop_all_since_marker();
                for (Object it : items) checkKey(it, "set element");
                if (key == Opcodes.FROZENSET) stack.add(new HashSet<>(items));
                else if (stack.peek() instanceof Set<?> set) asObjects(set).addAll(items);
                else throw new PickleException("ADDITEMS on a " + kind(stack.peek()) + ", not a set");
                return NO_RETURN_VALUE;
            }
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

    @SuppressWarnings("unchecked")
    private static Set<Object> asObjects(Set<?> set) {
        return (Set<Object>) set;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(String op) {
        if (!(stack.peek() instanceof Map<?, ?> m)) throw new PickleException(op + " on a " + kind(stack.peek()) + ", not a dict");
        return (Map<Object, Object>) m;
    }

    /**
     * {@code k} if it is cheap to hash: a str, a number, a bool, None, or a flat tuple of those (a tuple is an
     * Object[], hashed by identity; a nested one is refused all the same, so nothing here recurses). A list, dict or
     * set key (unhashable in Python anyway) could be a DAG of shared lists whose hashCode is exponential, or nested
     * deep enough to overflow the stack.
     */
    private Object checkKey(Object k, String what) {
        String bad = badKey(k);
        if (bad != null) throw refuse("a " + what + " that is a " + bad);
        return k;
    }

    /** null when {@code k} is a valid key, else what it is. */
    private static String badKey(Object k) {
        if (isScalar(k)) return null;
        if (k instanceof Object[] t) {
            for (Object x : t) if (!isScalar(x)) return x instanceof Object[] ? "nested tuple" : "tuple holding a " + kind(x);
            return null;
        }
        return kind(k);
    }

    private static boolean isScalar(Object o) {
        return o == null || o instanceof String || o instanceof Number || o instanceof Boolean;
    }

    /** The Python kind of a value, for messages. */
    private static String kind(Object o) {
        if (o instanceof java.util.List<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof Set<?>) return "set";
        if (o instanceof Object[]) return "tuple";
        return o == null ? "None" : o.getClass().getSimpleName();
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
        // a flat tuple: nothing in it is walked, except by describe(), which has a budget
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)
                || !(t[2] instanceof String k) || !(t[3] instanceof String) || !(t[4] instanceof Number n))
            throw refuse("a persistent id that is not a tensor storage: " + describe(pid));
        if (!isCount(n))
            throw new Blt4jException(file + ": storage " + k + " of " + n + " elements is "
                    + (n.doubleValue() < 0 ? "negative" : "too large (blt4j reads up to 2^53)") + ": the file is corrupt or malicious");
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
        long[] shape = longs(size, "size"), strides = longs(stride, "stride");
        long expect = 1, numel = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect)             // a size-1 dimension's stride does not matter
                throw new PickleException("tensor of shape " + Arrays.toString(shape) + " has strides "
                        + Arrays.toString(strides) + ": not contiguous (a view or transpose was saved); blt4j reads"
                        + " contiguous tensors only: re-save it with .contiguous()");
            long f = Math.max(shape[i], 1);                       // torch's contiguous strides skip size-0 dims
            if (expect > MAX_COUNT / f)                             // checked before multiplying: no overflow
                throw new PickleException("tensor of shape " + Arrays.toString(shape) + " is too large (over 2^53 elements)");
            expect *= f;
            numel *= shape[i];                                      // <= expect
        }
        if (!isCount(off) || off.longValue() + numel > s.numel())  // both <= 2^53: no overflow
            throw new PickleException("tensor of shape " + Arrays.toString(shape) + " at offset " + off
                    + " reaches past its storage " + s.key() + " of " + s.numel() + " elements");
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
                String bad = badKey(kv[0]);
                if (bad != null) throw new PickleException("OrderedDict given a dict key that is a " + bad);
                d.put(kv[0], kv[1]);
            }
            return d;
        }
        throw new PickleException("OrderedDict called with unexpected arguments " + describe(a));
    }

    /** An int in [0, 2^53] (Integer or Long: a BigInteger is past 2^63, and longValue() would truncate it). */
    private static boolean isCount(Object o) {
        return (o instanceof Integer || o instanceof Long) && ((Number) o).longValue() >= 0 && ((Number) o).longValue() <= MAX_COUNT;
    }

    private static long[] longs(Object[] xs, String what) {
        long[] out = new long[xs.length];
        for (int i = 0; i < xs.length; i++) {
            if (!isCount(xs[i]))
                throw new PickleException("tensor " + what + " holds " + describe(xs[i]) + ", not an integer in [0, 2^53]");
            out[i] = ((Number) xs[i]).longValue();
        }
        return out;
    }

    /**
     * At most ~{@value #DESCRIBE_BUDGET} characters of {@code o}, for messages: it walks only what it prints, so a DAG
     * of shared tuples, a cycle or 200,000 levels of nesting cost no more than a short list (Arrays.deepToString ran
     * out of heap on a 2^40-leaf DAG and out of stack on deep nesting).
     */
    static String describe(Object o) {
        StringBuilder sb = new StringBuilder();
        describe(o, sb, 0);
        return sb.length() > DESCRIBE_BUDGET ? sb.substring(0, DESCRIBE_BUDGET) + "..." : sb.toString();
    }

    private static void describe(Object o, StringBuilder sb, int depth) {
        if (sb.length() > DESCRIBE_BUDGET) return;
        Iterable<?> items = o instanceof Object[] a ? Arrays.asList(a) : o instanceof java.util.Collection<?> c ? c
                : o instanceof Map<?, ?> m ? m.entrySet() : null;
        if (items == null) {
            String s = o instanceof String str ? "'" + str + "'" : String.valueOf(o);
            sb.append(s, 0, Math.min(s.length(), DESCRIBE_BUDGET + 1));
            return;
        }
        String open = o instanceof Object[] ? "(" : o instanceof Map<?, ?> || o instanceof Set<?> ? "{" : "[";
        String close = open.equals("(") ? ")" : open.equals("{") ? "}" : "]";
        sb.append(open);
        if (depth >= 8) sb.append("...");                              // each level costs one character at least
        else {
            boolean first = true;
            for (Object x : items) {
                if (sb.length() > DESCRIBE_BUDGET) return;
                if (!first) sb.append(", ");
                first = false;
                if (x instanceof Map.Entry<?, ?> e) {
                    describe(e.getKey(), sb, depth + 1);
                    sb.append(": ");
                    describe(e.getValue(), sb, depth + 1);
                } else describe(x, sb, depth + 1);
            }
        }
        sb.append(close);
    }
}
