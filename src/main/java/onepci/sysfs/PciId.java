package onepci.sysfs;

/** What identifies a function to a filter: vendor, device and the 24-bit class code. */
public record PciId(int vendor, int device, int classCode) {

  public int classId() {
    return classCode >>> 8;
  }
}
