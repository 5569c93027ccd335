package onepci.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import onepci.sysfs.PciAddress;
import onepci.vfio.HgxBindHost;
import onepci.vfio.VfioEngine;

/**
 * What {@code vfio prepare} and {@code release} cost for a whole HGX board (8 H100 and 4 NVSwitches,
 * 12 IOMMU groups, one of them already on vfio-pci) on the fixture, the JVM's start left out:
 * {@code BoardPrepareBench [REPEATS]} (default 15) prepares and releases the board REPEATS times in
 * one JVM, each write through a {@code dd} child as on a host, and prints the first (cold) run and
 * the median, minimum and maximum of the others in milliseconds. The kernel is simulated: its own
 * time (a real driver's unbind and probe) is not in these numbers; the real-kernel bed's
 * {@code multi} scenario prints the hook's whole time on e1000e NICs.
 */
public final class BoardPrepareBench {

  private BoardPrepareBench() {}

  public static void main(String[] args) throws Exception {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    Path root = Files.createTempDirectory("one-pci-board-bench");
    HgxBindHost host = new HgxBindHost(root);
    List<PciAddress> board = HgxBindHost.BOARD.stream().map(PciAddress::parse).toList();
    VfioEngine engine = host.engineWithDdChildren();
    List<Double> prepare = new ArrayList<>();
    List<Double> release = new ArrayList<>();
    for (int i = 0; i <= repeats; i++) {
      long t0 = System.nanoTime();
      int p = engine.prepare("one-8", board, Optional.empty());
      long t1 = System.nanoTime();
      int r = engine.release("one-8", List.of(), Optional.empty());
      long t2 = System.nanoTime();
      if (p != 0 || r != 0 || !host.driver(HgxBindHost.GPUS.get(0)).equals(Optional.of("nvidia"))) {
        throw new IllegalStateException("run " + i + ": prepare exited " + p + ", release " + r);
      }
      prepare.add((t1 - t0) / 1e6);
      release.add((t2 - t1) / 1e6);
      host.clearLog();
    }
    System.out.printf("whole HGX board (12 devices, 11 bound, 12 IOMMU groups), %d runs after a cold one, ms%n", repeats);
    System.out.printf("%-8s %8s %8s %8s %8s%n", "", "cold", "median", "min", "max");
    print("prepare", prepare);
    print("release", release);
    host.fs.delete("");
  }

  private static void print(String what, List<Double> times) {
    List<Double> warm = new ArrayList<>(times.subList(1, times.size()));
    Collections.sort(warm);
    double median = warm.size() % 2 == 1 ? warm.get(warm.size() / 2) : (warm.get(warm.size() / 2 - 1) + warm.get(warm.size() / 2)) / 2;
    System.out.printf("%-8s %8.1f %8.1f %8.1f %8.1f%n", what, times.get(0), median, warm.get(0), warm.get(warm.size() - 1));
  }
}
