# For PsychScalarTest: what Psych (YAML.load, as the stock probe's YAML.load_file) makes of each
# line of stdin written as a plain scalar list item: text (the same text), null, other (a number,
# true/false, a symbol), refused (Psych raises for it) or syntax (not a plain scalar at all).
require 'yaml'

STDIN.each_line do |line|
  s = line.chomp
  kind =
    begin
      node = YAML.parse("- #{s}\n").root.children[0]
      raise 'not one plain scalar' unless node.is_a?(Psych::Nodes::Scalar) && node.plain && node.value == s

      begin
        v = YAML.load("- #{s}\n")
        if v.is_a?(Array) && v.size == 1
          x = v[0]
          x.nil? ? 'null' : x.is_a?(String) ? (x == s ? 'text' : 'other-text') : 'other'
        else
          'syntax'
        end
      rescue StandardError
        'refused'
      end
    rescue StandardError
      'syntax'
    end
  puts "#{kind} #{s}"
end
