package onepci.sysfs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GroupFileTest {

  static final String ETC_GROUP = "root:x:0:\nkvm:x:993:oneadmin\n# not a group\nlibvirt:x:994:\nkvm2:x:993:\n";

  @Test
  void namesAndIdsLookUpBothWaysTheFirstMatchWinning() {
    GroupFile g = GroupFile.parse(ETC_GROUP);

    assertThat(g.gid("kvm")).contains("993");
    assertThat(g.gid("oneadmin")).isEmpty();
    assertThat(g.name(993)).contains("kvm");
    assertThat(g.name(994)).contains("libvirt");
    assertThat(g.name(1000)).isEmpty();
    assertThat(g.entries()).extracting(GroupFile.Entry::name).containsExactly("root", "kvm", "libvirt", "kvm2");
  }
}
