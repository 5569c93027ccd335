package onepci.hwdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import onepci.testing.TestHwdb;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trie reader against the real {@code systemd-hwdb}: on a small database it compiled from
 * sources written here, and on this machine's own {@code hwdb.bin}, every modalias asked gives
 * exactly the properties {@code systemd-hwdb query} prints. Damaged files are a
 * {@link HwdbFormatException}, never another exception.
 */
class HwdbFileTest {

  /** Patterns of every kind the trie holds: literals, {@code *}, {@code ?}, sets, and overrides. */
  static final String SOURCE_A =
      String.join(
          "\n",
          "# vendor, device and subsystem entries as 20-pci-vendor-model.hwdb writes them",
          "pci:v0000FFF0*",
          " ID_VENDOR_FROM_DATABASE=Test Vendor",
          "",
          "pci:v0000FFF0d00000001*",
          " ID_MODEL_FROM_DATABASE=Test Device One",
          "",
          "pci:v0000FFF0d00000001sv0000FFF0sd00000002*",
          " ID_MODEL_FROM_DATABASE=Test Device One (board two)",
          "",
          "pci:v0000FFF0d00000002*",
          " ID_MODEL_FROM_DATABASE=Specific in 50-a",
          "",
          "# class entries as 20-pci-classes.hwdb writes them",
          "pci:v*d*sv*sd*bc0D*",
          " ID_PCI_CLASS_FROM_DATABASE=Test class",
          "",
          "pci:v*d*sv*sd*bc0Dsc77*",
          " ID_PCI_SUBCLASS_FROM_DATABASE=Test subclass",
          "",
          "pci:v*d*sv*sd*bc0Dsc77i01*",
          " ID_PCI_INTERFACE_FROM_DATABASE=Test interface",
          "",
          "# one match, several properties; the later of two lines for one match wins",
          "pci:v0000FFF2d0000000?*",
          " ID_MODEL_FROM_DATABASE=Question mark",
          " ID_TEST_EXTRA=extra",
          "",
          "pci:v0000FFF2d0000000[5-7]*",
          " ID_MODEL_FROM_DATABASE=Set 5-7",
          "",
          "pci:v0000FFF2d0000001[!0-3]*",
          " ID_MODEL_FROM_DATABASE=Not 10-13",
          "",
          "pci:v0000FFF2d0000002[[:xdigit:]]*",
          " ID_MODEL_FROM_DATABASE=Hex class",
          "",
          "pci:v0000FFF3*d*",
          " ID_TEST_GLOB_IN_PREFIX=yes",
          "");

  /** A later file: its entries outrank 50-a's for the same property, even less specific ones. */
  static final String SOURCE_B =
      String.join(
          "\n",
          "pci:v0000FFF0d*",
          " ID_MODEL_FROM_DATABASE=Generic in 60-b",
          "",
          "pci:v0000FFF4*",
          " ID_VENDOR_FROM_DATABASE=Vendor in 60-b",
          "");

  static final List<String> MODALIASES =
      List.of(
          "pci:v0000FFF0*",
          "pci:v0000FFF0d00000001*",
          "pci:v0000FFF0d00000001sv0000FFF0sd00000002*",
          "pci:v0000FFF0d00000001sv0000FFF0sd00000002bc0Dsc77i01",
          "pci:v0000FFF0d00000002*",
          "pci:v0000FFF0d00000003*",
          "pci:v*d*sv*sd*bc0D*",
          "pci:v*d*sv*sd*bc0Dsc77*",
          "pci:v*d*sv*sd*bc0Dsc78*",
          "pci:v*d*sv*sd*bc0Dsc77i01*",
          "pci:v*d*sv*sd*bc0E*",
          "pci:v0000FFF2d00000001*",
          "pci:v0000FFF2d00000006*",
          "pci:v0000FFF2d00000012*",
          "pci:v0000FFF2d00000014*",
          "pci:v0000FFF2d0000002A*",
          "pci:v0000FFF2d0000002G*",
          "pci:v0000FFF3d00000001*",
          "pci:v0000FFF3",
          "pci:v0000FFF4*",
          "pci:v0000FFF5*",
          "pci:",
          "",
          "usb:v1D6Bp0002*");

  @TempDir static Path tmp;
  static Path root;
  static Path bin;

  @BeforeAll
  static void compile() {
    root = tmp.resolve("root");
    bin = TestHwdb.compile(root, Map.of("50-a.hwdb", SOURCE_A, "60-b.hwdb", SOURCE_B));
  }

  @Test
  void everyModaliasGivesWhatSystemdHwdbQueryGives() throws IOException {
    HwdbFile hwdb = HwdbFile.open(bin);
    int answered = 0;
    for (String m : MODALIASES) {
      Map<String, String> expected = TestHwdb.query(Optional.of(root), m);
      assertThat(hwdb.properties(m)).as(m).isEqualTo(expected);
      answered += expected.isEmpty() ? 0 : 1;
    }
    assertThat(answered).as("modaliases systemd-hwdb answered").isGreaterThan(15);
  }

  @Test
  void theNamesLibpciAsksForAreFound() throws IOException {
    HwdbFile hwdb = HwdbFile.open(bin);

    assertThat(hwdb.properties("pci:v0000FFF0d00000001*"))
        .containsExactly(Map.entry("ID_VENDOR_FROM_DATABASE", "Test Vendor"), Map.entry("ID_MODEL_FROM_DATABASE", "Generic in 60-b"));
    assertThat(hwdb.properties("pci:v*d*sv*sd*bc0Dsc77*"))
        .containsEntry("ID_PCI_CLASS_FROM_DATABASE", "Test class")
        .containsEntry("ID_PCI_SUBCLASS_FROM_DATABASE", "Test subclass");
    assertThat(hwdb.properties("pci:v0000FFF2d00000006*")).containsEntry("ID_MODEL_FROM_DATABASE", "Set 5-7");
    assertThat(hwdb.properties("pci:v0000FFF5*")).isEmpty();
  }

  @Test
  void theMachinesOwnDatabaseGivesWhatSystemdHwdbQueryGives() throws IOException {
    HwdbFile hwdb = HwdbFile.open(TestHwdb.machineDatabase());
    List<String> modaliases = new ArrayList<>();
    for (String v : List.of("10DE", "15B3", "8086", "1AF4", "ABCD", "1000", "144D", "14E4", "1D0F", "FFF0", "0000", "FFFF")) {
      modaliases.add("pci:v0000" + v + "*");
    }
    for (String vd : List.of("10DE/2335", "10DE/22A3", "10DE/2330", "10DE/2331", "10DE/20B5", "10DE/9999", "8086/1572", "8086/3450",
        "8086/345F", "15B3/1021", "15B3/101E", "1AF4/1041", "1AF4/1053", "144D/A80A", "1000/C030", "ABCD/0001")) {
      modaliases.add("pci:v0000" + vd.substring(0, 4) + "d0000" + vd.substring(5) + "*");
    }
    for (int c : new int[] {0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x0c, 0x0d, 0x11, 0x12, 0x13, 0x40, 0xee, 0xff}) {
      modaliases.add(String.format("pci:v*d*sv*sd*bc%02X*", c));
    }
    for (int c : new int[] {0x0302, 0x0300, 0x0200, 0x0207, 0x0c03, 0x0c08, 0x0d77, 0x0880, 0x1101, 0x0108, 0x0604, 0x1200, 0xff00}) {
      modaliases.add(String.format("pci:v*d*sv*sd*bc%02Xsc%02X*", c >> 8, c & 0xff));
    }
    modaliases.add("pci:v*d*sv*sd*bc0Csc03i30*");
    modaliases.add("pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00");
    modaliases.add("pci:v*d*sv000010DEsd000016C1*");
    modaliases.add("usb:v1D6Bp0002*");

    for (String m : modaliases) {
      assertThat(hwdb.properties(m)).as(m).isEqualTo(TestHwdb.query(Optional.empty(), m));
    }
    assertThat(hwdb.properties("pci:v000010DEd00002335*"))
        .as("this machine's hwdb names the H200 (Debian 12's pci.ids does not)")
        .containsKey("ID_MODEL_FROM_DATABASE");
  }

  @Test
  void aFileCutShortIsRefusedByItsRecordedSize() throws IOException {
    byte[] b = Files.readAllBytes(bin);
    Path cut = tmp.resolve("cut.bin");
    Files.write(cut, java.util.Arrays.copyOf(b, b.length - 100));

    assertThatThrownBy(() -> HwdbFile.open(cut))
        .isInstanceOf(HwdbFormatException.class)
        .hasMessage(cut + ": not a usable compiled hardware database: it is " + (b.length - 100) + " bytes long where its header says "
            + b.length + " (cut short, or still being written)");
  }

  @Test
  void aFileShorterThanTheHeaderOrWithoutTheSignatureIsRefused() throws IOException {
    Path tiny = tmp.resolve("tiny.bin");
    Files.write(tiny, new byte[] {'K', 'S', 'L', 'P'});
    Path text = tmp.resolve("text.bin");
    Files.writeString(text, "pci:v0000FFF0*\n ID_VENDOR_FROM_DATABASE=Test Vendor\n".repeat(4));

    assertThatThrownBy(() -> HwdbFile.open(tiny))
        .isInstanceOf(HwdbFormatException.class)
        .hasMessage(tiny + ": not a usable compiled hardware database: it is 4 bytes long, shorter than the header of one");
    assertThatThrownBy(() -> HwdbFile.open(text))
        .isInstanceOf(HwdbFormatException.class)
        .hasMessage(text + ": not a usable compiled hardware database: it does not start with the signature KSLPHHRH");
  }

  @Test
  void aChildOutsideTheFileIsADamagedDatabase() throws IOException {
    byte[] b = Files.readAllBytes(bin);
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int rootNode = (int) buf.getLong(56);
    int nodeSize = (int) buf.getLong(32);
    assertThat(b[rootNode + 8]).as("the root has children").isPositive();
    buf.putLong(rootNode + nodeSize + 8, 1L << 40);
    Path bad = tmp.resolve("bad-child.bin");
    Files.write(bad, b);

    HwdbFile hwdb = HwdbFile.open(bad);
    assertThatThrownBy(() -> hwdb.properties("pci:v0000FFF0*"))
        .isInstanceOf(HwdbFormatException.class)
        .hasMessageStartingWith(bad + ": not a usable compiled hardware database: it is damaged (");
  }

  @Test
  void aTrieThatLoopsIsADamagedDatabase() throws IOException {
    byte[] b = Files.readAllBytes(bin);
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int rootNode = (int) buf.getLong(56);
    int nodeSize = (int) buf.getLong(32);
    int childSize = (int) buf.getLong(40);
    // every child of the root leads back to the root
    for (int k = 0; k < (b[rootNode + 8] & 0xff); k++) {
      buf.put(rootNode + nodeSize + k * childSize, (byte) '*');
      buf.putLong(rootNode + nodeSize + k * childSize + 8, rootNode);
    }
    Path loop = tmp.resolve("loop.bin");
    Files.write(loop, b);

    HwdbFile hwdb = HwdbFile.open(loop);
    assertThatThrownBy(() -> hwdb.properties("pci:v0000FFF0*"))
        .isInstanceOf(HwdbFormatException.class)
        .hasMessageStartingWith(loop + ": not a usable compiled hardware database: it is damaged (");
  }

  /** Random damage anywhere: every lookup answers or says the file is damaged, nothing else. */
  @Test
  void randomDamageIsAlwaysAFormatProblemNeverAnotherException() throws IOException {
    byte[] good = Files.readAllBytes(bin);
    Random rnd = new Random(12);
    Path f = tmp.resolve("fuzz.bin");
    int refused = 0;
    for (int round = 0; round < 400; round++) {
      byte[] b = good.clone();
      for (int k = 0, n = 1 + rnd.nextInt(4); k < n; k++) {
        int at = 16 + rnd.nextInt(b.length - 16);
        if (at >= 16 && at < 24) {
          continue; // keep the recorded size, or nothing past the header is ever read
        }
        b[at] = rnd.nextInt(3) == 0 ? (byte) 0xff : (byte) rnd.nextInt(256);
      }
      Files.write(f, b);
      try {
        HwdbFile hwdb = HwdbFile.open(f);
        for (String m : MODALIASES) {
          hwdb.properties(m);
        }
      } catch (HwdbFormatException e) {
        refused++;
        assertThat(e.getMessage()).startsWith(f + ": not a usable compiled hardware database: ");
      }
    }
    assertThat(refused).as("damaged files noticed").isGreaterThan(20);
  }
}
