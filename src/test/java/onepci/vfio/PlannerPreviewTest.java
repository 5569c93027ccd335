package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import onepci.sysfs.PciAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Planner#preview}: prepare's answer asked without preparing, as doctor asks it. It gives
 * what {@link Planner#plan} gives, and changes nothing: no journal, no lock, no state folder.
 */
class PlannerPreviewTest {

  @TempDir Path tmp;
  TestHost host;
  Planner planner;
  TreeMap<String, String> before;

  @BeforeEach
  void setUp() throws Exception {
    host = new TestHost(tmp);
    planner = new Planner(host.paths);
    before = host.snapshot();
  }

  static List<PciAddress> addresses(String... a) {
    return List.of(a).stream().map(PciAddress::parse).toList();
  }

  @Test
  void aDeviceTheHostRunsOnIsRefusedAsPlanRefusesItAndNothingIsWritten() throws Exception {
    Planner.Preview p = planner.preview(addresses("0000:03:00.0"), List.of());

    assertThat(p.wouldPrepare()).isFalse();
    assertThat(p.members()).isEmpty();
    assertThat(p.refusals()).extracting(Refusal::line)
        .containsExactly("0000:03:00.0: holds /dev/nvme0n1p1, mounted on /; fix: unmount / and remove it from /etc/fstab, or pass through another device");
    RefusedException e = catchThrowableOfType(
        () -> planner.plan("one-7", addresses("0000:03:00.0"), Journal.load(host.paths.vfioState(), "one-7"), List.of()),
        RefusedException.class);
    assertThat(p.refusals()).isEqualTo(e.refusals());
    assertThat(p.refusalsOf(PciAddress.parse("0000:03:00.0"))).hasSize(1);
    assertThat(host.snapshot()).isEqualTo(before);
    assertThat(Files.exists(host.paths.vfioState())).isFalse();
  }

  @Test
  void aGroupItWouldTakeListsWhatItWouldMove() throws Exception {
    Planner.Preview p = planner.preview(addresses("0000:01:00.0"), List.of());

    assertThat(p.wouldPrepare()).isTrue();
    assertThat(p.members()).extracting(m -> m.address().toString(), Plan.Member::action, Plan.Member::requested)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple("0000:01:00.0", Plan.Action.BIND, true),
            org.assertj.core.api.Assertions.tuple("0000:01:00.1", Plan.Action.BIND, false));
    assertThat(host.snapshot()).isEqualTo(before);
    assertThat(Files.exists(host.paths.vfioState())).isFalse();
  }
}
