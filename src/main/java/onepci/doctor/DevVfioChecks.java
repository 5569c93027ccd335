package onepci.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import onepci.io.IoFailure;
import onepci.sysfs.GroupFile;
import onepci.sysfs.PciDevice;
import onepci.vfio.VfioDrivers;

/**
 * The guide's "VFIO Device Ownership": each group's {@code /dev/vfio/<group>} belongs to group
 * kvm with mode 0666 (QEMU runs as oneadmin), and a udev rule makes it so at every bind.
 */
final class DevVfioChecks implements CheckGroup {

  static final String NODE = "dev-vfio";
  static final String RULE = "udev-rule";

  private static final Set<PosixFilePermission> MODE_0666 = PosixFilePermissions.fromString("rw-rw-rw-");
  private static final Pattern SUBSYSTEM = Pattern.compile("SUBSYSTEM\\s*==\\s*\"vfio\"");
  private static final Pattern GROUP = Pattern.compile("GROUP\\s*:?=\\s*\"kvm\"");
  private static final Pattern MODE = Pattern.compile("MODE\\s*:?=\\s*\"0?666\"");

  @Override
  public List<Check> run(HostState host) {
    List<Check> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (HostState.Examined e : host.devices()) {
      PciDevice d = e.device();
      if (!e.isVgpu() && e.isPassable() && d.iommuGroup().isPresent() && seen.add(d.iommuGroup().getAsInt())) {
        out.add(node(host, d, d.iommuGroup().getAsInt()));
      }
    }
    out.add(rule(host));
    return out;
  }

  private static Check node(HostState host, PciDevice d, int group) {
    String subject = d.address().toString();
    Path node = host.paths().devVfioGroup(group);
    Set<PosixFilePermission> mode;
    int gid;
    try {
      mode = Files.getPosixFilePermissions(node, LinkOption.NOFOLLOW_LINKS);
      gid = (Integer) Files.getAttribute(node, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException ex) {
      if (VfioDrivers.isVfio(d.driver())) {
        return Check.fail(
            NODE, subject, node + " is missing although the device is on vfio-pci: QEMU has nothing to open",
            Fixes.modprobe() + " && udevadm trigger --subsystem-match=vfio");
      }
      return Check.pass(NODE, subject, "no " + node + " yet: it appears when vfio-pci takes IOMMU group " + group);
    } catch (IOException | UnsupportedOperationException ex) {
      return Check.warn(NODE, subject, "cannot read the owner and mode of " + node + ": "
          + (ex instanceof IOException io ? IoFailure.reason(io) : "this file system keeps no owner and mode"), Fixes.asRoot());
    }
    String groupName = groupName(host, gid).orElse("gid " + gid);
    String octal = octal(mode);
    if (groupName.equals("kvm") && mode.equals(MODE_0666)) {
      return Check.pass(NODE, subject, node + " is group kvm, mode 0666");
    }
    return Check.fail(
        NODE, subject,
        node + " is group " + groupName + ", mode " + octal + "; it must be group kvm, mode 0666 for QEMU, which runs as oneadmin",
        Fixes.devVfio(group));
  }

  /** The name of a group id in the root's {@code etc/group}. */
  private static Optional<String> groupName(HostState host, int gid) {
    if (!(FileRead.of(host.paths().etcGroup()) instanceof FileRead.Text t)) {
      return Optional.empty();
    }
    return GroupFile.parse(t.text()).name(gid);
  }

  private static String octal(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("%04o", bits);
  }

  private static Check rule(HostState host) {
    List<String> unreadable = new ArrayList<>();
    List<String> partial = new ArrayList<>();
    for (Path dir : List.of(host.paths().udevRulesDirs(), host.paths().udevPackageRules())) {
      String[] names = dir.toFile().list();
      if (names == null) {
        if (Files.isDirectory(dir)) {
          unreadable.add(dir.toString());
        }
        continue;
      }
      Arrays.sort(names);
      for (String n : names) {
        if (!n.endsWith(".rules")) {
          continue;
        }
        Path f = dir.resolve(n);
        FileRead r = FileRead.of(f);
        if (r instanceof FileRead.Unreadable u) {
          unreadable.add(f + " (" + u.reason() + ")");
          continue;
        }
        if (!(r instanceof FileRead.Text t)) {
          continue;
        }
        for (String line : t.text().split("\n")) {
          String l = line.strip();
          if (l.startsWith("#") || !SUBSYSTEM.matcher(l).find()) {
            continue;
          }
          if (GROUP.matcher(l).find() && MODE.matcher(l).find()) {
            return Check.pass(RULE, Check.HOST, f + " gives the vfio device nodes to group kvm with mode 0666");
          }
          partial.add(f + ": " + l);
        }
      }
    }
    StringBuilder m = new StringBuilder("no udev rule sets GROUP=\"kvm\", MODE=\"0666\" for SUBSYSTEM==\"vfio\"");
    if (!partial.isEmpty()) {
      m.append("; found only ").append(String.join(" | ", partial));
    }
    if (!unreadable.isEmpty()) {
      m.append("; could not read ").append(String.join(", ", unreadable));
    }
    m.append(": new vfio device nodes come up root-only and QEMU cannot open them");
    return unreadable.isEmpty() || !partial.isEmpty()
        ? Check.fail(RULE, Check.HOST, m.toString(), Fixes.udevRule())
        : Check.warn(RULE, Check.HOST, m.toString(), Fixes.udevRule());
  }
}
