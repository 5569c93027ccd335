package onepci.vfio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import onepci.sysfs.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceHoldersTest {

  @TempDir Path tmp;

  void holds(TestHost host, long pid, String comm, int fd, String node) throws Exception {
    host.fs.write("proc/" + pid + "/comm", comm + "\n");
    Files.createDirectories(host.paths.procFds(pid));
    Files.createSymbolicLink(host.paths.procFds(pid).resolve(Integer.toString(fd)), Path.of(node));
  }

  @Test
  void drmNodesFromUeventNvidiaMinorAndTheVfioGroupAreFound() throws Exception {
    TestHost host = new TestHost(tmp);
    PciAddress gpu = PciAddress.parse("0000:01:00.0");
    host.fs.write("sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/card1/uevent", "MAJOR=226\nMINOR=1\nDEVNAME=dri/card1\n");
    host.fs.write("sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/renderD128/uevent", "MAJOR=226\nMINOR=128\nDEVNAME=dri/renderD128\n");
    host.fs.write("proc/driver/nvidia/gpus/0000:01:00.0/information", "Device Minor: 3\n");
    holds(host, 310, "Xorg", 12, "/dev/dri/card1");
    holds(host, 2048, "qemu-system-x86", 30, "/dev/vfio/12");
    holds(host, 4242, "python3", 7, "/dev/nvidia3");
    holds(host, 4242, "python3", 8, "/dev/nvidia0");
    holds(host, 5000, "sshd", 3, "/dev/null");

    assertThat(new DeviceHolders(host.paths).describe(gpu, 12)).containsExactly(
        "pid 310 (Xorg) holds /dev/dri/card1",
        "pid 2048 (qemu-system-x86) holds /dev/vfio/12",
        "pid 4242 (python3) holds /dev/nvidia3");
  }
}
