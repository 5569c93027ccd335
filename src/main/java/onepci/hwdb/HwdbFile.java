package onepci.hwdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * udev's compiled hardware database ({@code hwdb.bin}, written by {@code systemd-hwdb update}),
 * read as sd-hwdb reads it: the file is not loaded, a lookup walks the trie. sd-hwdb maps the
 * file; here the pages a lookup reaches are read into memory as it reaches them ({@link Pages}).
 *
 * <p>The format (systemd's {@code hwdb-internal.h}, all numbers little-endian): a header (the
 * signature {@code KSLPHHRH}, tool version, file size, the sizes of the header, of a node, of a
 * child entry and of a value entry, the offset of the root node, the lengths of the node and
 * string sections); nodes of a prefix offset, a child count (one byte) and a value count, followed
 * by their child entries (a character and a node offset, sorted by character) and their value
 * entries (key and value offsets; from format 2 on also a file name offset, a line number and a
 * file priority). Strings end with a NUL byte. Keys that start with a space are properties.
 *
 * <p>A lookup ({@link #properties}) follows the modalias through the trie one byte at a time; at
 * every node, the subtrees under a {@code *}, {@code ?} or {@code [} child, and the rest of a
 * prefix from its first such byte, hold patterns that are matched with {@code fnmatch} against
 * the rest of the modalias. Properties found later override earlier ones (the more specific
 * match wins), except that with format 2 an entry from a lower-priority file or an earlier line
 * does not replace one already found.
 *
 * <p>Not safe for use by several threads at once. Every read is bounds-checked: a damaged file is a {@link HwdbFormatException}, never an
 * exception of another kind.
 */
public final class HwdbFile {

  private static final byte[] SIGNATURE = "KSLPHHRH".getBytes(StandardCharsets.US_ASCII);
  /** The header up to and including {@code strings_len}: what sd-hwdb requires of a file. */
  private static final int HEADER_LENGTH = 80;
  private static final int NODE_LENGTH = 24;
  private static final int CHILD_LENGTH = 16;
  private static final int VALUE_LENGTH = 16;
  private static final int VALUE2_LENGTH = 32;
  /** sd-hwdb builds a pattern in a buffer of {@code LINE_MAX} bytes. */
  private static final int LINE_MAX = 2048;

  private final Path file;
  private final Pages map;
  private final int size;
  private final int nodeSize;
  private final int childSize;
  private final int valueSize;
  private final long root;
  /**
   * The patterns below each glob node met so far. Every PCI lookup passes the {@code pci:v*}
   * subtree (the class patterns), so it is walked once per file, not once per lookup.
   */
  private final Map<PatternRoot, List<Pattern>> patternCache = new HashMap<>();

  private HwdbFile(Path file, Pages map, int nodeSize, int childSize, int valueSize, long root) {
    this.file = file;
    this.map = map;
    this.size = map.capacity();
    this.nodeSize = nodeSize;
    this.childSize = childSize;
    this.valueSize = valueSize;
    this.root = root;
  }

  public Path file() {
    return file;
  }

  /**
   * Opens the file and checks its header as sd-hwdb does (signature, and the size recorded in it
   * equal to the file's), plus the record sizes this reader relies on.
   *
   * @throws HwdbFormatException when it is not a compiled hardware database this reader can use
   * @throws IOException when it cannot be opened or read
   */
  public static HwdbFile open(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new HwdbFormatException(file, "it is a folder");
    }
    // read, not mapped: JDK 17's FileChannel.map initialises ExtendedMapMode through a method
    // handle, which spins a lambda form: 10-20 ms of CPU, cold (docs/DEVELOPING.md, Probe cost)
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      return open(file, ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static HwdbFile open(Path file, FileChannel ch) throws IOException {
    long length = ch.size();
    if (length < HEADER_LENGTH) {
      throw new HwdbFormatException(file, "it is " + length + " bytes long, shorter than the header of one");
    }
    if (length > Integer.MAX_VALUE) {
      throw new HwdbFormatException(file, "it is " + length + " bytes long, too large to be one");
    }
    Pages map = new Pages(ch, (int) length);
    try {
      return header(file, map);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } catch (IndexOutOfBoundsException e) {
      throw new HwdbFormatException(file, "it was cut short while it was read");
    }
  }

  private static HwdbFile header(Path file, Pages map) throws HwdbFormatException {
    byte[] signature = new byte[SIGNATURE.length];
    map.get(0, signature);
    if (!Arrays.equals(signature, SIGNATURE)) {
      throw new HwdbFormatException(file, "it does not start with the signature KSLPHHRH");
    }
    long recorded = map.getLong(16);
    if (recorded != map.capacity()) {
      throw new HwdbFormatException(
          file, "it is " + map.capacity() + " bytes long where its header says " + Long.toUnsignedString(recorded)
              + " (cut short, or still being written)");
    }
    long nodeSize = map.getLong(32);
    long childSize = map.getLong(40);
    long valueSize = map.getLong(48);
    long root = map.getLong(56);
    if (nodeSize < NODE_LENGTH || nodeSize > 4096 || childSize < CHILD_LENGTH || childSize > 4096
        || valueSize < VALUE_LENGTH || valueSize > 4096) {
      throw new HwdbFormatException(
          file, "its header gives impossible record sizes (node " + nodeSize + ", child " + childSize + ", value " + valueSize + ")");
    }
    if (root < HEADER_LENGTH || root > map.capacity() - nodeSize) {
      throw new HwdbFormatException(file, "its root node offset " + Long.toUnsignedString(root) + " is outside the file");
    }
    return new HwdbFile(file, map, (int) nodeSize, (int) childSize, (int) valueSize, root);
  }

  /**
   * The properties udev gives a modalias ({@code systemd-hwdb query MODALIAS}), keys without
   * their leading space.
   *
   * @throws HwdbFormatException when the trie is damaged on the way
   */
  public Map<String, String> properties(String modalias) throws HwdbFormatException {
    Lookup l = new Lookup(modalias.getBytes(StandardCharsets.UTF_8));
    try {
      l.search();
    } catch (IndexOutOfBoundsException e) {
      // also a file cut short under this reader: its pages end before the size it had when opened
      throw new HwdbFormatException(file, "a record points outside the file");
    } catch (UncheckedIOException e) {
      throw new HwdbFormatException(file, "it cannot be read (" + e.getCause().getMessage() + ")");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : l.found.entrySet()) {
      out.put(e.getKey(), string(map.getLong(Math.toIntExact(e.getValue()) + 8)));
    }
    return out;
  }

  /**
   * The file's bytes as the walk reads them, little-endian: each 16 KiB page is read once, when a
   * read first reaches it (a lookup touches a few dozen of the file's pages). An index outside the
   * file, or a page the file no longer holds, is an {@link IndexOutOfBoundsException}; a failed
   * read an {@link UncheckedIOException}.
   */
  private static final class Pages {
    private static final int SHIFT = 14;
    private static final int PAGE = 1 << SHIFT;

    private final FileChannel channel;
    private final int size;
    private final byte[][] pages;

    Pages(FileChannel channel, int size) {
      this.channel = channel;
      this.size = size;
      this.pages = new byte[(int) (((long) size + PAGE - 1) >>> SHIFT)][];
    }

    int capacity() {
      return size;
    }

    byte get(int i) {
      if (i < 0 || i >= size) {
        throw new IndexOutOfBoundsException(i);
      }
      return page(i >>> SHIFT)[i & (PAGE - 1)];
    }

    short getShort(int i) {
      return (short) little(i, 2);
    }

    int getInt(int i) {
      return (int) little(i, 4);
    }

    long getLong(int i) {
      return little(i, 8);
    }

    /** {@code dst.length} bytes from {@code i}. */
    void get(int i, byte[] dst) {
      if (i < 0 || i > size - dst.length) {
        throw new IndexOutOfBoundsException(i);
      }
      int done = 0;
      while (done < dst.length) {
        int at = i + done;
        int o = at & (PAGE - 1);
        int n = Math.min(dst.length - done, PAGE - o);
        System.arraycopy(page(at >>> SHIFT), o, dst, done, n);
        done += n;
      }
    }

    private long little(int i, int n) {
      if (i < 0 || i > size - n) {
        throw new IndexOutOfBoundsException(i);
      }
      long v = 0;
      int o = i & (PAGE - 1);
      if (o <= PAGE - n) {
        byte[] p = page(i >>> SHIFT);
        for (int k = n - 1; k >= 0; k--) {
          v = v << 8 | (p[o + k] & 0xff);
        }
      } else {
        for (int k = n - 1; k >= 0; k--) {
          v = v << 8 | (get(i + k) & 0xff);
        }
      }
      return v;
    }

    private byte[] page(int k) {
      byte[] p = pages[k];
      if (p != null) {
        return p;
      }
      long from = (long) k << SHIFT;
      p = new byte[(int) Math.min(PAGE, size - from)];
      ByteBuffer b = ByteBuffer.wrap(p);
      try {
        while (b.hasRemaining()) {
          if (channel.read(b, from + b.position()) < 0) {
            throw new IndexOutOfBoundsException("the file ends at " + (from + b.position()) + ", before the " + size + " bytes it had");
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pages[k] = p;
      return p;
    }
  }

  /** Where a walk of patterns starts: a node, the index in its prefix, the glob child byte or -1. */
  private record PatternRoot(long offset, int p, int glob) {
    // written out: a record's generated equals and hashCode bootstrap java.lang.invoke
    // (ObjectMethods, some 100 classes), which cost the probe more than all its lookups
    @Override
    public boolean equals(Object o) {
      return o instanceof PatternRoot r && r.offset == offset && r.p == p && r.glob == glob;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(offset) * 31 * 31 + p * 31 + glob;
    }
  }

  /**
   * A full pattern below a glob, the node holding its values, and its longest run of plain bytes
   * before any set or backslash: any string the pattern matches holds that run, so a string
   * without it is passed over without running fnmatch.
   */
  private record Pattern(byte[] bytes, Node node, byte[] literal) {

    static Pattern of(byte[] bytes, Node node) {
      int bestFrom = 0;
      int bestLength = 0;
      int from = 0;
      for (int i = 0; i <= bytes.length; i++) {
        boolean end = i == bytes.length || bytes[i] == '[' || bytes[i] == '\\';
        if (end || bytes[i] == '*' || bytes[i] == '?') {
          if (i - from > bestLength) {
            bestFrom = from;
            bestLength = i - from;
          }
          from = i + 1;
        }
        if (end) {
          break; // a set or a quoted byte: what follows is not plain bytes, leave it to fnmatch
        }
      }
      return new Pattern(bytes, node, Arrays.copyOfRange(bytes, bestFrom, bestFrom + bestLength));
    }

    /** Whether {@code s[from, end)} holds the literal run: false means the pattern cannot match. */
    boolean mayMatch(byte[] s, int from, int end) {
      int n = literal.length;
      outer:
      for (int i = from; i <= end - n; i++) {
        for (int k = 0; k < n; k++) {
          if (s[i + k] != literal[k]) {
            continue outer;
          }
        }
        return true;
      }
      return n == 0;
    }
  }

  /** A node being walked for its patterns: how many bytes it added to the pattern, its next child. */
  private static final class Frame {
    final Node node;
    final int added;
    int next;

    Frame(Node node, int added) {
      this.node = node;
      this.added = added;
    }
  }

  /** A node's fields, bounds-checked. */
  private record Node(long offset, long prefix, int children, int values) {}

  private Node node(long offset) throws HwdbFormatException {
    if (offset < HEADER_LENGTH || offset > size - nodeSize) {
      throw damaged("a node offset " + Long.toUnsignedString(offset) + " is outside the file");
    }
    int o = (int) offset;
    long prefix = map.getLong(o);
    int children = map.get(o + 8) & 0xff;
    long values = map.getLong(o + 16);
    long end = offset + nodeSize + (long) children * childSize;
    if (values < 0 || values > (size - end) / valueSize) {
      throw damaged("the node at " + offset + " has more entries than the file holds");
    }
    return new Node(offset, prefix, children, (int) values);
  }

  private int childChar(Node n, int i) {
    return map.get((int) (n.offset + nodeSize + (long) i * childSize)) & 0xff;
  }

  private long childOffset(Node n, int i) throws HwdbFormatException {
    long offset = map.getLong((int) (n.offset + nodeSize + (long) i * childSize + 8));
    if (offset < 0) {
      throw damaged("a child offset " + Long.toUnsignedString(offset) + " is outside the file");
    }
    return offset;
  }

  private int valueEntry(Node n, int i) {
    return (int) (n.offset + nodeSize + (long) n.children * childSize + (long) i * valueSize);
  }

  /** The child of {@code n} for byte {@code c}, by binary search as sd-hwdb does, or -1. */
  private long child(Node n, int c) throws HwdbFormatException {
    int lo = 0;
    int hi = n.children - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int m = childChar(n, mid);
      if (m < c) {
        lo = mid + 1;
      } else if (m > c) {
        hi = mid - 1;
      } else {
        return childOffset(n, mid);
      }
    }
    return -1;
  }

  /** The NUL-terminated bytes at {@code offset}; offset 0 (no prefix) is the empty string. */
  private byte[] bytes(long offset) throws HwdbFormatException {
    if (offset == 0) {
      return new byte[0];
    }
    if (offset < 0 || offset >= size) {
      throw damaged("a string offset " + Long.toUnsignedString(offset) + " is outside the file");
    }
    int start = (int) offset;
    int end = start;
    while (end < size && map.get(end) != 0) {
      end++;
    }
    if (end == size) {
      throw damaged("a string at " + offset + " runs to the end of the file");
    }
    byte[] b = new byte[end - start];
    map.get(start, b);
    return b;
  }

  private String string(long offset) throws HwdbFormatException {
    return new String(bytes(offset), StandardCharsets.UTF_8);
  }

  private HwdbFormatException damaged(String what) {
    return new HwdbFormatException(file, "it is damaged (" + what + ")");
  }

  /** One walk of the trie for one modalias. */
  private final class Lookup {
    private final byte[] search;
    /** Property name to the offset of the value entry that set it, in the order first set. */
    final Map<String, Long> found = new LinkedHashMap<>();
    /**
     * Nodes visited. A sound trie is a tree, walked at most once more for each byte of the search
     * (a {@code *} in the modalias leads into a subtree already matched); beyond that it loops.
     */
    private long visits;
    private final long maxVisits;

    Lookup(byte[] search) {
      this.search = search;
      this.maxVisits = (size / nodeSize + 1) * (search.length + 1L);
    }

    void search() throws HwdbFormatException {
      long offset = root;
      int i = 0;
      while (true) {
        Node n = visit(offset);
        byte[] prefix = bytes(n.prefix);
        for (int p = 0; p < prefix.length; p++) {
          int c = prefix[p] & 0xff;
          if (c == '*' || c == '?' || c == '[') {
            matchBelow(n, prefix, p, -1, i + p);
            return;
          }
          if (i + p >= search.length || c != (search[i + p] & 0xff)) {
            return;
          }
        }
        i += prefix.length;
        for (int glob : new int[] {'*', '?', '['}) {
          long child = child(n, glob);
          if (child >= 0) {
            Node g = visit(child);
            matchBelow(g, bytes(g.prefix), 0, glob, i);
          }
        }
        if (i == search.length) {
          addValues(n);
          return;
        }
        offset = child(n, search[i] & 0xff);
        if (offset < 0) {
          return;
        }
        i++;
      }
    }

    /**
     * The patterns of the subtree of {@code start} whose nodes have values (its prefix from
     * {@code p} on, after {@code glob} when it is a glob child, -1 when not), matched against the
     * search from {@code from}; children before their parent, as sd-hwdb walks them.
     */
    private void matchBelow(Node start, byte[] prefix, int p, int glob, int from) throws HwdbFormatException {
      int rest = Math.min(from, search.length);
      for (Pattern pattern : patterns(start, prefix, p, glob)) {
        if (pattern.mayMatch(search, rest, search.length)
            && Fnmatch.matches(pattern.bytes, pattern.bytes.length, search, rest, search.length)) {
          addValues(pattern.node);
        }
      }
    }

    /** The patterns below a node, from the cache or by walking the subtree once. */
    private List<Pattern> patterns(Node start, byte[] prefix, int p, int glob) throws HwdbFormatException {
      PatternRoot key = new PatternRoot(start.offset, p, glob);
      List<Pattern> cached = patternCache.get(key);
      if (cached != null) {
        return cached;
      }
      List<Pattern> out = new ArrayList<>();
      byte[] pattern = new byte[LINE_MAX];
      int length = 0;
      if (glob >= 0) {
        pattern[length++] = (byte) glob;
      }
      ArrayDeque<Frame> stack = new ArrayDeque<>();
      int added = append(pattern, length, prefix, p);
      length += added;
      stack.push(new Frame(start, added));
      while (!stack.isEmpty()) {
        Frame f = stack.peek();
        if (f.next < f.node.children) {
          int k = f.next++;
          Node child = visit(childOffset(f.node, k));
          pattern[length] = (byte) childChar(f.node, k);
          added = 1 + append(pattern, length + 1, bytes(child.prefix), 0);
          length += added;
          stack.push(new Frame(child, added));
          continue;
        }
        if (f.node.values > 0) {
          out.add(Pattern.of(Arrays.copyOf(pattern, length), f.node));
        }
        length -= f.added;
        stack.pop();
      }
      List<Pattern> patterns = List.copyOf(out);
      patternCache.put(key, patterns);
      return patterns;
    }

    /** Copies {@code bytes[from..]} into the pattern at {@code at}; returns how many. */
    private int append(byte[] pattern, int at, byte[] bytes, int from) throws HwdbFormatException {
      int n = bytes.length - from;
      if (at + n >= LINE_MAX) {
        throw damaged("a pattern is longer than " + LINE_MAX + " bytes");
      }
      System.arraycopy(bytes, from, pattern, at, n);
      return n;
    }

    private Node visit(long offset) throws HwdbFormatException {
      if (++visits > maxVisits) {
        throw damaged("its trie loops back on itself");
      }
      return node(offset);
    }

    private void addValues(Node n) throws HwdbFormatException {
      for (int k = 0; k < n.values; k++) {
        int entry = valueEntry(n, k);
        byte[] key = bytes(map.getLong(entry));
        if (key.length == 0 || key[0] != ' ') {
          continue; // not a property: reserved for other uses
        }
        bytes(map.getLong(entry + 8)); // the value must be readable too
        String name = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
        Long old = found.get(name);
        if (old != null && valueSize >= VALUE2_LENGTH && isLower(entry, old.intValue())) {
          continue;
        }
        found.put(name, (long) entry);
      }
    }

    /**
     * Whether the format-2 entry at {@code entry} ranks below the one at {@code old}: a lower
     * file priority, or in the same file (format 2 without priorities: the file named earlier) an
     * earlier line.
     */
    private boolean isLower(int entry, int old) {
      int priority = map.getShort(entry + 28) & 0xffff;
      long line = map.getInt(entry + 24) & 0xffffffffL;
      long oldLine = map.getInt(old + 24) & 0xffffffffL;
      if (priority == 0) {
        long fileName = map.getLong(entry + 16);
        long oldFileName = map.getLong(old + 16);
        return Long.compareUnsigned(fileName, oldFileName) < 0 || (fileName == oldFileName && line < oldLine);
      }
      int oldPriority = map.getShort(old + 28) & 0xffff;
      return priority < oldPriority || (priority == oldPriority && line < oldLine);
    }
  }
}
