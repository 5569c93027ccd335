package onepci.vfio;

import static onepci.vfio.HgxBindHost.ADMIN_BOUND;
import static onepci.vfio.HgxBindHost.BOARD;
import static onepci.vfio.HgxBindHost.GPUS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One domain with a whole HGX board (8 GPUs and 4 NVSwitches, 12 IOMMU groups): planned whole,
 * bound group by group, and undone whole when one device fails.
 */
class WholeBoardPrepareTest {

  @TempDir Path tmp;
  HgxBindHost host;
  TreeMap<String, String> before;

  @BeforeEach
  void setUp() throws Exception {
    host = new HgxBindHost(tmp);
    before = host.state();
  }

  @Test
  void theWholeBoardIsBoundGroupByGroupInTheDomainsOrderAndReleasedInReverse() throws Exception {
    assertThat(host.prepare("one-8", BOARD)).isZero();

    for (String a : BOARD) {
      assertThat(host.driver(a)).as(a).contains("vfio-pci");
    }
    List<String> journal = new ArrayList<>();
    for (int i = 0; i < BOARD.size(); i++) {
      String a = BOARD.get(i);
      int group = i < 8 ? 20 + i : 40 + i - 8;
      journal.add(a + "\t" + group + "\t" + (a.equals(ADMIN_BOUND) ? "kept\tvfio-pci\tvfio-pci" : "bound\tnvidia\t-"));
      Path node = host.paths.devVfioGroup(group);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(node)) + " " + Files.getAttribute(node, "unix:gid"))
          .as(node.toString()).isEqualTo("rw-rw-rw- 4242");
    }
    assertThat(Files.readString(host.journal("one-8")).lines().skip(2)).containsExactlyElementsOf(journal);
    // group by group: each group's /dev/vfio node is made ready before the next group is touched
    List<String> order = host.errLines().stream()
        .filter(l -> l.contains(": on vfio-pci (was ") || l.endsWith(": mode 0666"))
        .map(l -> l.replace("one-pci vfio: one-8: ", "").replace(host.paths.root().toString(), "")).toList();
    assertThat(order).startsWith(
        "0000:18:00.0: on vfio-pci (was nvidia)", "/dev/vfio/20: mode 0666",
        "/dev/vfio/21: mode 0666",
        "0000:3a:00.0: on vfio-pci (was nvidia)", "/dev/vfio/22: mode 0666");
    assertThat(order).hasSize(23);
    assertThat(host.errLines()).last().isEqualTo("one-pci vfio: one-8: prepared " + BOARD + " with IOMMU group(s) "
        + "[20, 21, 22, 23, 24, 25, 26, 27, 40, 41, 42, 43]");

    assertThat(host.release("one-8")).isZero();

    List<String> back = host.errLines().stream().filter(l -> l.contains(": back on ")).map(l -> l.substring(21, 33)).toList();
    List<String> reversed = new ArrayList<>(BOARD);
    reversed.remove(ADMIN_BOUND);
    java.util.Collections.reverse(reversed);
    assertThat(back).containsExactlyElementsOf(reversed);
    TreeMap<String, String> after = host.state();
    // the administrator's GPU stays on vfio-pci; its node keeps the mode the hook gave it
    assertThat(after.remove("dev/vfio/21")).isEqualTo(" rw-rw-rw- gid 4242");
    assertThat(before.remove("dev/vfio/21")).isEqualTo(" rw------- gid 0");
    assertThat(after).isEqualTo(before);
  }

  @Test
  void aFailureAtTheSeventhOfTwelveDevicesLeavesEveryDeviceAsItWas() throws Exception {
    String seventh = GPUS.get(6);
    host.kernel.failOn(SimulatedKernel.Step.PROBE, seventh, "No such device");

    assertThat(host.prepare("one-8", BOARD)).isEqualTo(1);

    // drivers, overrides, driver folders, /dev/vfio nodes (mode and group), journals: as before
    assertThat(host.state()).isEqualTo(before);
    String root = host.paths.root().toString();
    assertThat(host.errLines()).contains(
        "one-pci vfio: one-8: failed: " + seventh + ": " + root + "/sys/bus/pci/drivers_probe: No such device;"
            + " fix: see 'dmesg' for the kernel's reason");
    // undone last first, only what this call changed: the administrator's GPU is not touched
    assertThat(host.errLines().stream().filter(l -> l.contains("rolling back") || l.contains("/dev/vfio/21: back to"))
        .map(l -> l.replace("one-pci vfio: one-8: ", "").replace(root, ""))).containsExactly(
            "rolling back 0000:ba:00.0", "rolling back 0000:ab:00.0", "rolling back 0000:9a:00.0", "rolling back 0000:5d:00.0",
            "rolling back 0000:3a:00.0", "/dev/vfio/21: back to mode 0600, group 0", "rolling back 0000:18:00.0");
    // the devices after the seventh were never touched
    for (String a : BOARD.subList(7, 12)) {
      assertThat(host.kernel.writes()).as(a).noneMatch(w -> w.contains(a));
    }
    assertThat(host.kernel.writes()).noneMatch(w -> w.contains(ADMIN_BOUND));
    assertThat(host.errLines()).doesNotContain("one-pci vfio: one-8: not restored");
  }

  @Test
  void everyRefusalInTheDomainIsListedAndNothingIsTouched() throws Exception {
    assertThat(host.prepare("one-3", List.of("0000:5d:00.0"))).isZero();
    before = host.state();
    int writes = host.kernel.writes().size();
    host.err.reset();
    List<String> asked = new ArrayList<>(BOARD);
    asked.set(4, "0000:99:00.0"); // the port above 0000:9a:00.0, written by mistake
    asked.set(11, "0000:09:00.0"); // no such device

    assertThat(host.prepare("one-8", asked)).isEqualTo(1);

    assertThat(host.errLines()).containsExactly(
        "one-pci vfio: one-8: refused 0000:09:00.0: no such PCI device on this host; fix: check the address with 'lspci -D';"
            + " the VM asks for a device this host does not have (wrong host or stale PCI entry)",
        "one-pci vfio: one-8: refused 0000:5d:00.0: is held by running domain one-3; fix: stop one-3 first, or choose a device in another IOMMU group",
        "one-pci vfio: one-8: refused 0000:99:00.0: is a PCI bridge or port, which cannot be passed through; fix: pass through the devices behind it instead",
        "one-pci vfio: one-8: nothing was changed");
    assertThat(host.kernel.writes()).hasSize(writes);
    assertThat(host.state()).isEqualTo(before);
  }
}
