package onepci.doctor;

/**
 * The result of one check of the host.
 *
 * @param name a stable identifier ({@code iommu}, {@code group-viable}, ...) that scripts may match
 * @param subject the PCI address the check is about, or {@link #HOST}
 * @param message what was found, naming the file or device it was read from
 * @param fix the command that fixes a warning or failure; empty when the check passed
 */
public record Check(String name, Status status, String subject, String message, String fix) {

  /** The subject of checks about the whole host. */
  public static final String HOST = "host";

  public Check {
    if (status != Status.PASS && fix.isBlank()) {
      throw new IllegalArgumentException("check " + name + " on " + subject + " is " + status.word() + " without a fix");
    }
  }

  public static Check pass(String name, String subject, String message) {
    return new Check(name, Status.PASS, subject, message, "");
  }

  public static Check warn(String name, String subject, String message, String fix) {
    return new Check(name, Status.WARN, subject, message, fix);
  }

  public static Check fail(String name, String subject, String message, String fix) {
    return new Check(name, Status.FAIL, subject, message, fix);
  }
}
