package onepci.vfio;

import java.util.List;

/** The plan is not valid: nothing was touched. */
public final class RefusedException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<Refusal> refusals;

  public RefusedException(List<Refusal> refusals) {
    super(refusals.size() + " device(s) refused");
    this.refusals = List.copyOf(refusals);
  }

  public List<Refusal> refusals() {
    return refusals;
  }
}
