package onepci.doctor;

/** The outcome of one check, in rising order of gravity. */
public enum Status {
  PASS("pass"),
  WARN("warn"),
  FAIL("fail");

  private final String word;

  Status(String word) {
    this.word = word;
  }

  /** The word the reports print: {@code pass}, {@code warn} or {@code fail}. */
  public String word() {
    return word;
  }
}
