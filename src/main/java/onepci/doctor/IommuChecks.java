package onepci.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The guide's "Enabling IOMMU": groups under {@code /sys/kernel/iommu_groups}, and the kernel
 * parameters that turn the IOMMU on ({@code intel_iommu=on} or {@code amd_iommu=on}, by CPU
 * vendor) and keep host devices off it ({@code iommu=pt}).
 */
final class IommuChecks implements CheckGroup {

  static final String GROUPS = "iommu";
  static final String CMDLINE = "kernel-cmdline";
  static final String PASSTHROUGH = "iommu-pt";

  @Override
  public List<Check> run(HostState host) {
    Distro distro = Distro.of(host.paths());
    List<Check> out = new ArrayList<>();
    int groups = groupCount(host);
    FileRead cmdline = FileRead.of(host.paths().procCmdline());
    out.add(groups(host, groups, turnOnFix(host, distro, cmdline)));
    if (cmdline instanceof FileRead.Text t) {
      List<String> words = words(t);
      out.add(vendorParameter(host, distro, words, groups > 0));
      out.add(passthrough(host, distro, words));
    } else {
      String why = cmdline instanceof FileRead.Unreadable u ? u.reason() : "no such file";
      String message = "cannot read " + host.paths().procCmdline() + " (" + why + "): the kernel parameters are unknown";
      out.add(Check.warn(CMDLINE, Check.HOST, message, Fixes.asRoot()));
      out.add(Check.warn(PASSTHROUGH, Check.HOST, message, Fixes.asRoot()));
    }
    return out;
  }

  /**
   * The one fix for "the IOMMU is off", whichever check finds it: the kernel parameter when the
   * command line lacks it or turns it off, the firmware setup when the parameter is there.
   */
  static String turnOnFix(HostState host) {
    return turnOnFix(host, Distro.of(host.paths()), FileRead.of(host.paths().procCmdline()));
  }

  private static String turnOnFix(HostState host, Distro distro, FileRead cmdline) {
    IommuVendor v = host.iommuVendor();
    if (!(cmdline instanceof FileRead.Text t)) {
      return Fixes.iommuParameter(distro, v);
    }
    List<String> words = words(t);
    for (String p : wanted(v)) {
      String key = key(p);
      Boolean on = setting(words, key);
      if (Boolean.TRUE.equals(on)) {
        return Fixes.firmwareIommu(v);
      }
      if (Boolean.FALSE.equals(on)) {
        return Fixes.replaceKernelParameter(distro, key + "=off", p);
      }
    }
    return Fixes.iommuParameter(distro, v);
  }

  private static List<String> words(FileRead.Text cmdline) {
    return Arrays.asList(cmdline.text().strip().split("\\s+"));
  }

  private static List<String> wanted(IommuVendor v) {
    return v == IommuVendor.UNKNOWN ? List.of("intel_iommu=on", "amd_iommu=on") : List.of(v.parameter);
  }

  private static String key(String parameter) {
    return parameter.substring(0, parameter.indexOf('='));
  }

  /** The number of IOMMU groups; -1 when the folder is missing, -2 when it cannot be listed. */
  private static int groupCount(HostState host) {
    Path dir = host.paths().iommuGroups();
    String[] names = dir.toFile().list();
    if (names == null) {
      return Files.isDirectory(dir) ? -2 : -1;
    }
    return names.length;
  }

  private static Check groups(HostState host, int count, String fix) {
    Path dir = host.paths().iommuGroups();
    IommuVendor v = host.iommuVendor();
    String off =
        ": the IOMMU is off. Boot the kernel with " + v.parameter + " and enable " + v.firmwareName
            + " in the firmware setup";
    if (count == -2) {
      return Check.warn(GROUPS, Check.HOST, "cannot list " + dir + " (permission denied?)", Fixes.asRoot());
    }
    if (count == -1) {
      return Check.fail(GROUPS, Check.HOST, dir + " does not exist" + off, fix);
    }
    if (count == 0) {
      return Check.fail(GROUPS, Check.HOST, dir + " is empty" + off, fix);
    }
    return Check.pass(GROUPS, Check.HOST, count + (count == 1 ? " IOMMU group" : " IOMMU groups") + " in " + dir);
  }

  /** {@code intel_iommu=on} on Intel, {@code amd_iommu=on} on AMD, either when the vendor is unknown. */
  private static Check vendorParameter(HostState host, Distro distro, List<String> words, boolean groupsPresent) {
    Path cmdline = host.paths().procCmdline();
    IommuVendor v = host.iommuVendor();
    for (String p : wanted(v)) {
      String key = key(p);
      Boolean on = setting(words, key);
      if (Boolean.TRUE.equals(on)) {
        return Check.pass(CMDLINE, Check.HOST, cmdline + " has " + p);
      }
      if (Boolean.FALSE.equals(on)) {
        return Check.fail(
            CMDLINE, Check.HOST, cmdline + " turns the IOMMU off (" + key + "=off); it needs " + p,
            Fixes.replaceKernelParameter(distro, key + "=off", p));
      }
    }
    String message = cmdline + " lacks " + v.parameter + ", which turns on " + v.firmwareName;
    if (groupsPresent) {
      return Check.warn(
          CMDLINE, Check.HOST, message + " (the IOMMU is on by a kernel default this host relies on)",
          Fixes.iommuParameter(distro, v));
    }
    return Check.fail(CMDLINE, Check.HOST, message, Fixes.iommuParameter(distro, v));
  }

  /** {@code iommu=pt}: host devices bypass translation; without it host I/O is slower. */
  private static Check passthrough(HostState host, Distro distro, List<String> words) {
    Path cmdline = host.paths().procCmdline();
    if (words.contains("iommu=pt")) {
      return Check.pass(PASSTHROUGH, Check.HOST, cmdline + " has iommu=pt");
    }
    return Check.warn(
        PASSTHROUGH, Check.HOST,
        cmdline + " lacks iommu=pt: the host's own devices go through IOMMU translation, slowing host I/O",
        Fixes.kernelParameter(distro, "iommu=pt"));
  }

  /** Whether {@code key=on[,...]} (true) or {@code key=off} (false) is set; null when not given. */
  private static Boolean setting(List<String> words, String key) {
    Boolean result = null;
    for (String w : words) {
      if (w.startsWith(key + "=")) {
        List<String> values = Arrays.asList(w.substring(key.length() + 1).split(","));
        if (values.contains("on")) {
          result = true;
        } else if (values.contains("off")) {
          result = false;
        }
      }
    }
    return result;
  }
}
