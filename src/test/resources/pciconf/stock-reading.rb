# What OpenNebula's stock probe (pci.rb) makes of each pci.conf named on the command line, for
# PsychParityTest: its reading (YAML.load_file merged over its defaults, as pci.rb does) and its
# use of each setting (the calls pci.rb makes on them), as canonical lines:
#   == NAME
#   rejected line N: CLASS: MESSAGE     YAML.load_file or the merge raised: "Invalid configuration"
#   crashes: CLASS: MESSAGE             pci.rb's own use of a setting raises (exit 1, backtrace)
#   config {...}                        the merged configuration (Ruby's inspect), then:
#   filter "10de:*"                     each lspci -d filter, after pci.rb's split(',')
#   short_address "07:00.0"             each address compared with lspci's slot
#   device_name "H100"                  each pattern matched as /#{pattern}/i
#   nvidia_vendors "10de"               each vendor compared with lspci's vendor id
#   passthrough_readiness false         one-pci's own key, which pci.rb never reads: printed when
#                                       Psych reads it as false (one-pci then prints no readiness)
require 'yaml'

DEFAULTS = { :filter => '0:0', :short_address => [], :device_name => [], :nvidia_vendors => ['10de'] }.freeze

def each_of(value)
  value.is_a?(Array) ? value : [value]
end

ARGV.each do |name|
  puts "== #{File.basename(name)}"
  begin
    conf = DEFAULTS.merge(YAML.load_file(name))
  rescue StandardError => e
    line = e.message[/line (\d+)/, 1]
    puts "rejected #{line ? "line #{line}" : '-'}: #{e.class}: #{e.message.lines.first.chomp}"
    next
  end
  puts "config #{conf.inspect}"
  out = []
  begin
    filter = conf[:filter]
    # get_devices: no filter is lspci without -d, every device ('*:*'); the shell drops the
    # spaces around each piece and an empty piece selects nothing.
    pieces = filter ? [filter].flatten.map { |f| f.split(',') }.flatten : ['*:*']
    pieces.map(&:strip).reject(&:empty?).each { |f| out << "filter #{f.inspect}" }
    # next if !CONF[:short_address].empty? && !CONF[:short_address].include?(dev[:short_address])
    conf[:short_address].empty?
    each_of(conf[:short_address]).each { |a| out << "short_address #{a.inspect}" }
    # if !CONF[:device_name].empty?  CONF[:device_name].each { |pattern| ... =~ /#{pattern}/i }
    unless conf[:device_name].empty?
      conf[:device_name].each do |pattern|
        /#{pattern}/i
        out << "device_name #{pattern.inspect}"
      end
    end
    # CONF[:nvidia_vendors].include?(dev[:vendor])
    conf[:nvidia_vendors].include?('10de')
    each_of(conf[:nvidia_vendors]).each { |v| out << "nvidia_vendors #{v.inspect}" }
    out << 'passthrough_readiness false' if conf[:passthrough_readiness] == false
  rescue StandardError => e
    puts "crashes: #{e.class}: #{e.message.lines.first.chomp}"
    next
  end
  puts out
end
