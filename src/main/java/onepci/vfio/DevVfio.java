package onepci.vfio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.function.Consumer;
import onepci.sysfs.GroupFile;
import onepci.sysfs.HostPaths;

/**
 * {@code /dev/vfio/<group>}, the node QEMU opens: it must exist once the group is on vfio-pci, and
 * belong to group {@code kvm} with mode 0666 as the guide's udev rule makes it (the rule may not be
 * installed, or udev may not have run yet).
 */
public final class DevVfio {

  private static final long WAIT_MILLIS = 2000;

  private final HostPaths paths;
  private final ActionLog log;
  private final String domain;

  public DevVfio(HostPaths paths, ActionLog log, String domain) {
    this.paths = paths;
    this.log = log;
    this.domain = domain;
  }

  /** A node's group and mode, as they were before this call changed them. */
  public record Was(Path node, int gid, int mode) {}

  public void ensure(int group) throws IOException {
    ensure(group, was -> {});
  }

  /**
   * Makes the node ready for QEMU.
   *
   * @param beforeChange told what the node had, before its group or mode is first changed
   */
  public void ensure(int group, Consumer<Was> beforeChange) throws IOException {
    Path node = paths.devVfioGroup(group);
    if (!Poll.until(() -> Files.exists(node), Boolean::booleanValue, WAIT_MILLIS, node.toString())) {
      throw new IOException(node + " did not appear after binding IOMMU group " + group
          + " to vfio-pci; fix: check 'dmesg' for vfio errors and that devtmpfs is mounted on /dev");
    }
    Optional<Integer> kvm = kvmGid();
    int gid = ((Number) Files.getAttribute(node, "unix:gid")).intValue();
    boolean wantGid = kvm.isPresent() && gid != kvm.get();
    boolean wantMode = !PosixFilePermissions.toString(Files.getPosixFilePermissions(node)).equals("rw-rw-rw-");
    if (wantGid || wantMode) {
      beforeChange.accept(new Was(node, gid, ((Number) Files.getAttribute(node, "unix:mode")).intValue() & 07777));
    }
    if (kvm.isEmpty()) {
      log.action(domain, "warning: no group 'kvm' in " + paths.etcGroup() + "; " + node + " keeps its owner group");
    } else if (wantGid) {
      Files.setAttribute(node, "unix:gid", kvm.get());
      log.action(domain, node + ": group kvm");
    }
    if (wantMode) {
      Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rw-rw-rw-"));
      log.action(domain, node + ": mode 0666");
    }
  }

  /** Gives a node back the group and mode it had; nothing when the node has gone since. */
  public void restore(Was was) throws IOException {
    if (!Files.exists(was.node())) {
      return;
    }
    Files.setAttribute(was.node(), "unix:mode", was.mode());
    Files.setAttribute(was.node(), "unix:gid", was.gid());
    log.action(domain, was.node() + ": back to mode " + String.format("%04o", was.mode()) + ", group " + was.gid());
  }

  /** The gid of group {@code kvm}, from {@code /etc/group} under the root. */
  Optional<Integer> kvmGid() throws IOException {
    Path f = paths.etcGroup();
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    Optional<String> gid = GroupFile.parse(Files.readString(f, StandardCharsets.UTF_8)).gid("kvm");
    try {
      return gid.map(Integer::parseInt);
    } catch (NumberFormatException e) {
      throw new IOException(f + ": group kvm has gid '" + gid.get() + "', not a number; fix the line in " + f);
    }
  }
}
