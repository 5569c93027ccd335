package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two domains starting at once, with every write slowed down to widen the race. */
class ConcurrencyTest {

  @TempDir Path tmp;

  List<Integer> both(Callable<Integer> a, Callable<Integer> b) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Integer> fa = pool.submit(a);
      Future<Integer> fb = pool.submit(b);
      return List.of(fa.get(), fb.get());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoDomainsWithTheirOwnGroupsBothStart() throws Exception {
    TestHost host = new TestHost(tmp);
    SimulatedKernel kernel = host.simulate();
    kernel.slow(20);

    List<Integer> status = both(() -> host.prepare("one-7", "0000:01:00.0"), () -> host.prepare("one-8", "0000:07:00.0"));

    assertThat(status).containsExactly(0, 0);
    assertThat(host.read(host.journal("one-7")).lines().skip(2)).containsExactly(
        "0000:01:00.0\t12\tbound\tnvidia\t-", "0000:01:00.1\t12\tbound\tsnd_hda_intel\t-");
    assertThat(host.read(host.journal("one-8")).lines().skip(2)).containsExactly(
        "0000:07:00.0\t18\tbound\tnvidia\t-", "0000:07:00.1\t18\tkept\t-\t-");
    // the lock keeps one prepare's writes together: no interleaving of the two domains
    List<String> w = kernel.writes();
    int firstOf7 = w.indexOf("sys/bus/pci/devices/0000:01:00.0/driver_override <- vfio-pci");
    int firstOf8 = w.indexOf("sys/bus/pci/devices/0000:07:00.0/driver_override <- vfio-pci");
    if (firstOf7 < firstOf8) {
      assertThat(w.subList(0, 6)).allMatch(l -> l.contains("0000:01:00."));
    } else {
      assertThat(w.subList(0, 3)).allMatch(l -> l.contains("0000:07:00.0"));
    }
  }

  @Test
  void twoDomainsAskingForTheSameGroupAtOnceGetItOnce() throws Exception {
    TestHost host = new TestHost(tmp);
    SimulatedKernel kernel = host.simulate();
    kernel.slow(20);

    List<Integer> status = both(() -> host.prepare("one-7", "0000:01:00.0"), () -> host.prepare("one-8", "0000:01:00.1"));

    assertThat(status).containsExactlyInAnyOrder(0, 1);
    String winner = status.get(0) == 0 ? "one-7" : "one-8";
    String loser = status.get(0) == 0 ? "one-8" : "one-7";
    assertThat(host.journal(winner)).exists();
    assertThat(host.journal(loser)).doesNotExist();
    assertThat(host.errLines()).anyMatch(l -> l.startsWith("one-pci vfio: " + loser + ": refused 0000:01:00.")
        && l.contains("is held by running domain " + winner));
    assertThat(kernel.writes()).hasSize(6);
  }
}
