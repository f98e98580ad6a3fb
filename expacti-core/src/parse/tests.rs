//! Table tests, one construct at a time.
//!
//! Each case renders the parse as `origin[via]: words` per part, joined by ` ; `, with dynamic
//! words in `⟨…⟩`, followed by `!kind` for every opaque reason.

use super::*;

fn render(p: &Parsed) -> String {
    let mut parts: Vec<String> = p
        .parts
        .iter()
        .map(|part| {
            let mut s = part.origin.as_str().to_string();
            if let Some(v) = &part.via {
                s.push_str(&format!("[{v}]"));
            }
            s.push(':');
            for w in part.assignments.iter().chain(&part.argv) {
                if w.is_dynamic() {
                    s.push_str(&format!(" ⟨{}⟩", w.text));
                } else {
                    s.push_str(&format!(" {}", w.text));
                }
            }
            for r in &part.redirects {
                let fd = match &r.fd {
                    Some(Fd::Number(n)) => n.to_string(),
                    Some(Fd::Var(v)) => format!("{{{v}}}"),
                    None => String::new(),
                };
                s.push_str(&format!(" {fd}{}{}", r.op.as_str(), r.target.text));
            }
            if part.open_args {
                s.push_str(" …");
            }
            s
        })
        .collect();
    for o in &p.opaque {
        parts.push(format!("!{:?}", o.kind));
    }
    parts.join(" ; ")
}

macro_rules! cases {
    ($($name:ident: $input:expr => $want:expr,)*) => {
        $(
            #[test]
            fn $name() {
                let p = parse($input);
                assert_eq!(render(&p), $want, "input: {:?}", $input);
                for part in &p.parts {
                    assert!(part.span.1 <= $input.len());
                }
            }
        )*
    };
}

cases! {
    // Separators and operators.
    seq: "a; b && c || d & e | f |& g" => "top: a ; top: b ; top: c ; top: d ; top: e ; top: f ; top: g",
    newline_sep: "a\nb\n\nc" => "top: a ; top: b ; top: c",
    negation: "! grep -q x f" => "top: grep -q x f",
    time_keyword: "time -p make all" => "top: make all",
    // Groups and subshells.
    group: "{ a; b; } && (c; (d))" => "top: a ; top: b ; top: c ; top: d",
    brace_word_is_literal: "echo {a} }" => "top: echo {a} }",
    // Substitutions everywhere.
    cmd_subst: "echo $(date) `id`" => "substitution: date ; substitution: id ; top: echo ⟨$(date)⟩ ⟨`id`⟩",
    subst_in_dq: "echo \"x $(rm -rf /) y\"" => "substitution: rm -rf / ; top: echo ⟨\"x $(rm -rf /) y\"⟩",
    nested_subst: "a $(b $(c))" => "substitution: c ; substitution: b ⟨$(c)⟩ ; top: a ⟨$(b $(c))⟩",
    proc_subst: "diff <(ls a) >(tee b)" => "substitution: ls a ; substitution: tee b ; top: diff ⟨<(ls a)⟩ ⟨>(tee b)⟩",
    param_default_subst: "echo ${x:-$(whoami)}" => "substitution: whoami ; top: echo ⟨${x:-$(whoami)}⟩",
    arith_literal: "echo $((1 + 2))" => "top: echo ⟨$((1 + 2))⟩",
    arith_over_vars: "echo $((x + 1))" => "top: echo ⟨$((x + 1))⟩ ; !Arithmetic",
    arith_subst: "echo $(( $(id -u) + 1 ))" => "substitution: id -u ; top: echo ⟨$(( $(id -u) + 1 ))⟩ ; !Arithmetic",
    arith_hex_is_literal: "echo $((0xff + 16#1f))" => "top: echo ⟨$((0xff + 16#1f))⟩",
    old_arith: "echo $[x+1]" => "top: echo ⟨$[x+1]⟩ ; !Arithmetic",
    subshell_not_arith: "echo $( (a) | b )" => "substitution: a ; substitution: b ; top: echo ⟨$( (a) | b )⟩",
    backtick_escapes: "echo `echo \\`id\\``" => "substitution: id ; substitution: echo ⟨`id`⟩ ; top: echo ⟨`echo \\`id\\``⟩",
    case_in_subst: "x=$(case $y in a) echo A;; esac)" => "substitution: echo A ; top: ⟨x=$(case $y in a) echo A;; esac)⟩",
    // Quoting.
    single_quotes: "echo 'a $b \"c\"'" => "top: echo a $b \"c\"",
    double_quote_escapes: r#"echo "a\"b\$c\\d\e""# => r#"top: echo a"b$c\d\e"#,
    ansi_c: r"echo $'a\tb\x41\101\u00e9\'\n'" => "top: echo a\tbAAé'\n",
    backslash: r"ec\ho a\ b \$x" => "top: echo a b $x",
    continuation: "echo a\\\nb c\\\n  d" => "top: echo ab c d",
    mixed_quotes: r#"r"m" -r'f' /"# => "top: rm -rf /",
    locale_string: r#"echo $"hi""# => "top: echo ⟨$\"hi\"⟩",
    dollar_alone: "echo $ a$ \"$\"" => "top: echo $ a$ $",
    // Comments.
    comment: "echo a # rm -rf /\necho b#c" => "top: echo a ; top: echo b#c",
    comment_only: "# nothing" => "",
    // Redirections.
    redirects: "cmd <in >out >>app 2>err 2>&1 &>both &>>both2 >|clob <>rw <&3 >&- 3<in" =>
        "top: cmd <in >out >>app 2>err 2>&1 &>both &>>both2 >|clob <>rw <&3 >&- 3<in",
    redirect_first: ">f echo hi" => "top: echo hi >f",
    redirect_only: "> /etc/passwd" => "top: >/etc/passwd",
    named_fd: "exec {fd}>/tmp/x" => "top: exec {fd}>/tmp/x",
    here_string: "cat <<< \"$x\"" => "top: cat <<<\"$x\"",
    heredoc: "cat <<EOF\nhello $(id)\nEOF\necho next" => "top: cat <<EOF ; substitution: id ; top: echo next",
    heredoc_quoted: "cat <<'EOF'\nhello $(id)\nEOF" => "top: cat <<EOF",
    // (`cat` prints the here-document into `sh`: its text is also read as sh's script.)
    heredoc_strip: "cat <<-EOF | sh\n\t$(id)\n\tEOF\nls" =>
        "top: cat <<-EOF ; top: sh ; substitution: id ; substitution: id ; script[cat | sh]: ⟨$(id)⟩ ; top: ls",
    cat_heredoc_to_shell: "cat <<'EOF' | sudo bash\nrm -rf /srv\nEOF" =>
        "top: cat <<EOF ; top: sudo bash ; wrapper[sudo]: bash ; script[cat | sh]: rm -rf /srv",
    cat_heredoc_to_file: "cat <<'EOF' > x.sh\nrm -rf /srv\nEOF" => "top: cat <<EOF >x.sh",
    cat_file_and_heredoc: "cat a - <<'EOF' | sh\nls\nEOF" => "top: cat a - <<EOF ; top: sh",
    source_stdin: ". /dev/stdin <<< 'rm x'" => "top: . /dev/stdin <<<rm x ; script[source <<]: rm x",
    two_heredocs: "cat <<A <<B\na\nA\n$(b)\nB" => "top: cat <<A <<B ; substitution: b",
    heredoc_in_subst: "x=$(cat <<EOF\n$(whoami)\nEOF\n)" => "substitution: cat <<EOF ; substitution: whoami ; top: ⟨x=$(cat <<EOF\n$(whoami)\nEOF\n)⟩",
    // Assignments.
    assignments: "A=1 B=\"x y\" cmd C=3" => "top: A=1 B=x y cmd C=3",
    assignment_only: "PATH=/tmp:$PATH" => "top: ⟨PATH=/tmp:$PATH⟩",
    assignment_glob_is_literal: "x=*.c" => "top: x=*.c",
    array_assignment: "a=(x \"y z\" *.c)" => "top: ⟨a=(x \"y z\" *.c)⟩",
    append_assignment: "x+=1 y" => "top: x+=1 y",
    quoted_name_is_not_assignment: "\"A\"=1 cmd" => "top: A=1 cmd",
    // Dynamic words.
    dynamic_name: "$CMD -rf /" => "top: ⟨$CMD⟩ -rf /",
    brace_name: "{rm,-rf,/}" => "top: ⟨{rm,-rf,/}⟩",
    glob_name: "/???/?m -rf /" => "top: ⟨/???/?m⟩ -rf /",
    tilde: "ls ~ ~/x a~ x=~/y --o=~" => "top: ls ⟨~⟩ ⟨~/x⟩ a~ ⟨x=~/y⟩ --o=~",
    bracket_glob: "ls [ab]c [ x ]" => "top: ls ⟨[ab]c⟩ [ x ]",
    find_braces_literal: "echo {} a{b}c" => "top: echo {} a{b}c",
    github_expression: "echo ${{ github.sha }}" => "top: echo ⟨${{ github.sha }}⟩",
    // Control flow.
    if_elif_else: "if a; then b; elif c; then d; else e; fi" => "top: a ; top: b ; top: c ; top: d ; top: e",
    while_loop: "while read l; do echo \"$l\"; done < f" => "top: read l <f ; top: echo ⟨\"$l\"⟩ <f",
    // A process substitution in a compound command's redirection is not redirected by it.
    while_loop_procsubst: "while read l; do rm \"$l\"; done < <(echo x)" => "top: read l <<(echo x) ; top: rm ⟨\"$l\"⟩ <<(echo x) ; substitution: echo x",
    until_loop: "until ping -c1 h; do sleep 1; done" => "top: ping -c1 h ; top: sleep 1",
    for_loop: "for f in a $(ls) c; do rm \"$f\"; done" => "substitution: ls ; top: rm ⟨\"$f\"⟩",
    for_brace_body: "for i in 1 2; { echo $i; }" => "top: echo ⟨$i⟩",
    for_arith: "for ((i=0;i<3;i++)); do echo; done" => "top: echo ; !Arithmetic",
    select_loop: "select x in a b; do break; done" => "top: break",
    case_esac: "case \"$1\" in start|up) run;; stop) halt ;& *) other;;& esac" => "top: run ; top: halt ; top: other",
    case_paren_pattern: "case x in (a) b;; esac" => "top: b",
    cond_plain: "[[ -f x && $a == b* ]] && ls" => "top: ls",
    cond_arith: "[[ $n -gt 3 ]]" => "!Arithmetic",
    cond_arith_literal: "[[ 4 -gt 3 ]]" => "",
    cond_regex: "[[ $x =~ ^(a|b)$ ]] && y" => "top: y",
    cond_subst: "[[ $(id -u) == 0 ]]" => "substitution: id -u",
    arith_command: "(( 1 + 1 )) && ok" => "top: ok",
    arith_command_vars: "(( n++ ))" => "!Arithmetic",
    // Wrappers.
    sudo: "sudo -u root -E rm -rf /" => "top: sudo -u root -E rm -rf / ; wrapper[sudo]: rm -rf /",
    sudo_env: "sudo FOO=1 make" => "top: sudo FOO=1 make ; wrapper[sudo]: FOO=1 make",
    sudo_list: "sudo -l rm" => "top: sudo -l rm",
    sudo_unknown_option: "sudo -Z rm" => "top: sudo -Z rm ; !UnknownOption",
    env_wrapper: "env -i A=1 B=2 cmd x" => "top: env -i A=1 B=2 cmd x ; wrapper[env]: A=1 B=2 cmd x",
    env_split: "env -S 'rm -rf /'" => "top: env -S rm -rf / ; script[env -S]: rm -rf /",
    nice_nohup: "nohup nice -n 5 ./job &" => "top: nohup nice -n 5 ./job ; wrapper[nohup]: nice -n 5 ./job ; wrapper[nice]: ./job",
    nice_numeric: "nice -10 x" => "top: nice -10 x ; wrapper[nice]: x",
    timeout: "timeout -s KILL 5s curl x" => "top: timeout -s KILL 5s curl x ; wrapper[timeout]: curl x",
    command_v: "command -v git" => "top: command -v git",
    command_run: "command git status" => "top: command git status ; wrapper[command]: git status",
    exec_wrapper: "exec -a x /bin/sh" => "top: exec -a x /bin/sh ; wrapper[exec]: /bin/sh",
    external_time: "\\time -v make" => "top: time -v make ; wrapper[time]: make",
    xargs: "ls | xargs -0 -n1 rm -f" => "top: ls ; top: xargs -0 -n1 rm -f ; wrapper[xargs]: rm -f …",
    xargs_replace: "xargs -I % mv % /tmp" => "top: xargs -I % mv % /tmp ; wrapper[xargs]: mv ⟨%⟩ /tmp …",
    find_exec: "find . -name x -exec rm -f {} \\; -exec echo {} +" =>
        "top: find . -name x -exec rm -f {} ; -exec echo {} + ; wrapper[find -exec]: rm -f ⟨{}⟩ ; wrapper[find -exec]: echo ⟨{}⟩ …",
    bash_c: "bash -lc 'rm -rf / && echo \"$HOME\"'" =>
        "top: bash -lc rm -rf / && echo \"$HOME\" ; script[sh -c]: rm -rf / ; script[sh -c]: echo ⟨\"$HOME\"⟩",
    sh_c_dynamic: "sh -c \"$CMD\"" => "top: sh -c ⟨\"$CMD\"⟩ ; !DynamicScript",
    sh_script_file: "bash deploy.sh -x" => "top: bash deploy.sh -x",
    sh_c_options: "sh -e -o pipefail -c 'x'" => "top: sh -e -o pipefail -c x ; script[sh -c]: x",
    bash_shopt: "bash -O extglob -c 'x'" => "top: bash -O extglob -c x ; !ShellOption",
    eval_static: "eval 'rm' -rf /" => "top: eval rm -rf / ; script[eval]: rm -rf /",
    eval_dynamic: "eval \"$(ssh-agent -s)\"" => "substitution: ssh-agent -s ; top: eval ⟨\"$(ssh-agent -s)\"⟩ ; !DynamicScript",
    ssh_remote: "ssh -i key -p 22 deploy@prod 'sudo systemctl restart api'" =>
        "top: ssh -i key -p 22 deploy@prod sudo systemctl restart api ; script[ssh]: sudo systemctl restart api ; wrapper[sudo]: systemctl restart api",
    ssh_joined: "ssh h ls -la ';' rm x" => "top: ssh h ls -la ; rm x ; script[ssh]: ls -la ; script[ssh]: rm x",
    ssh_login: "ssh -N -L 1:h:2 h" => "top: ssh -N -L 1:h:2 h",
    // An ssh option value known only at run time hides nothing when it names a port, a key
    // or a socket and stays one word; a config file, a library, an `-o` that can run a
    // command, or a value bash may split keeps the command opaque.
    ssh_dynamic_port: "ssh -p \"$PORT\" -i ~/.ssh/k \"$U@$H\" 'rm -rf /srv/app'" =>
        "top: ssh -p ⟨\"$PORT\"⟩ -i ⟨~/.ssh/k⟩ ⟨\"$U@$H\"⟩ rm -rf /srv/app ; script[ssh]: rm -rf /srv/app",
    ssh_dynamic_attached: "ssh -p\"$PORT\" h id" => "top: ssh ⟨-p\"$PORT\"⟩ h id ; script[ssh]: id",
    ssh_dynamic_inert_o: "ssh -o ControlPath=\"$S\" -o \"ServerAliveInterval $N\" h id" =>
        "top: ssh -o ⟨ControlPath=\"$S\"⟩ -o ⟨\"ServerAliveInterval $N\"⟩ h id ; script[ssh]: id",
    ssh_dynamic_heredoc: "ssh -i \"$KEY\" h <<'EOF'\nrm -rf /srv\nEOF" =>
        "top: ssh -i ⟨\"$KEY\"⟩ h <<EOF ; script[ssh <<]: rm -rf /srv",
    ssh_dynamic_unquoted: "ssh -p $PORT h id" => "top: ssh -p ⟨$PORT⟩ h id ; !UnknownOption",
    ssh_dynamic_all_args: "ssh -i \"$@\" h id" => "top: ssh -i ⟨\"$@\"⟩ h id ; !UnknownOption",
    ssh_dynamic_array: "ssh -i \"${keys[@]}\" h id" => "top: ssh -i ⟨\"${keys[@]}\"⟩ h id ; !UnknownOption",
    ssh_dynamic_glob: "ssh -i ~/.ssh/*.pem h id" => "top: ssh -i ⟨~/.ssh/*.pem⟩ h id ; !UnknownOption",
    ssh_dynamic_config: "ssh -F \"$CFG\" h id" => "top: ssh -F ⟨\"$CFG\"⟩ h id ; !UnknownOption",
    ssh_dynamic_library: "ssh -I \"$LIB\" h id" => "top: ssh -I ⟨\"$LIB\"⟩ h id ; !UnknownOption",
    ssh_dynamic_jump: "ssh -J \"$JUMP\" h id" => "top: ssh -J ⟨\"$JUMP\"⟩ h id ; !UnknownOption",
    ssh_dynamic_jump_key: "ssh -o ProxyJump=\"$JUMP\" h id" => "top: ssh -o ⟨ProxyJump=\"$JUMP\"⟩ h id ; !UnknownOption",
    ssh_dynamic_proxy: "ssh -o ProxyCommand=\"$P\" h id" => "top: ssh -o ⟨ProxyCommand=\"$P\"⟩ h id ; !UnknownOption",
    ssh_dynamic_key: "ssh -o \"$OPT\" h id" => "top: ssh -o ⟨\"$OPT\"⟩ h id ; !UnknownOption",
    ssh_dynamic_key_name: "ssh -o \"Control$X=1\" h id" => "top: ssh -o ⟨\"Control$X=1\"⟩ h id ; !UnknownOption",
    // An unquoted host that may be several words (`$SSH_OPTS` holding options and the host)
    // may move the remote command one word later: both readings are parts, and the command
    // is not understood. One word after it, or a quoted host, reads as before.
    ssh_split_host: "ssh $SSH_OPTS deploy@prod 'rm -rf /srv'" =>
        "top: ssh ⟨$SSH_OPTS⟩ deploy@prod rm -rf /srv ; script[ssh]: deploy@prod rm -rf /srv ; script[ssh]: rm -rf /srv ; !UnknownOption",
    ssh_split_host_one_word_after: "ssh $HOST 'rm -rf /srv'" => "top: ssh ⟨$HOST⟩ rm -rf /srv ; script[ssh]: rm -rf /srv",
    ssh_quoted_host: "ssh \"$HOST\" deploy 'rm -rf /srv'" =>
        "top: ssh ⟨\"$HOST\"⟩ deploy rm -rf /srv ; script[ssh]: deploy rm -rf /srv",
    // ssh reads options after the host too, up to the remote command (unless `--` came
    // before the host).
    ssh_options_after_host: "ssh -f u@gw -L 3307:db:3306 -N" => "top: ssh -f u@gw -L 3307:db:3306 -N",
    ssh_options_then_command: "ssh h -p 22 ls -la" => "top: ssh h -p 22 ls -la ; script[ssh]: ls -la",
    ssh_terminated: "ssh -- h -x" => "top: ssh -- h -x ; script[ssh]: -x",
    ssh_unknown_after_host: "ssh h -Z x" => "top: ssh h -Z x ; !UnknownOption",
    // Found by the parse fuzz target: an option without its value at the end (the operand
    // index is then past the end).
    ssh_option_value_missing: "ssh -fay -p " => "top: ssh -fay -p",
    ssh_option_value_missing_after_host: "ssh h -p" => "top: ssh h -p",
    ssh_heredoc_options_after_host: "ssh h -p 22 <<'EOF'\nid\nEOF" => "top: ssh h -p 22 <<EOF ; script[ssh <<]: id",
    // The same for the other wrappers: a user, a group, a directory, a priority, a signal or
    // a duration known only at run time hides nothing when it stays one word; an option
    // that is itself the command (`su -s`, `env -S`, `xargs -I`) or a value bash may split
    // keeps the command opaque.
    sudo_dynamic_user: "sudo -u \"$U\" rm x" => "top: sudo -u ⟨\"$U\"⟩ rm x ; wrapper[sudo -u]: rm x",
    sudo_dynamic_user_attached: "sudo -u\"$U\" -D \"$D\" rm x" =>
        "top: sudo ⟨-u\"$U\"⟩ -D ⟨\"$D\"⟩ rm x ; wrapper[sudo -u]: rm x",
    sudo_dynamic_user_long: "sudo --user=\"$U\" rm x" => "top: sudo ⟨--user=\"$U\"⟩ rm x ; wrapper[sudo -u]: rm x",
    sudo_dynamic_user_substitution: "sudo -u \"$(id -un)\" rm x" =>
        "substitution: id -un ; top: sudo -u ⟨\"$(id -un)\"⟩ rm x ; wrapper[sudo -u]: rm x",
    sudo_dynamic_user_unquoted: "sudo -u $U rm x" => "top: sudo -u ⟨$U⟩ rm x ; !UnknownOption",
    sudo_dynamic_user_long_unquoted: "sudo --user=$U rm x" => "top: sudo ⟨--user=$U⟩ rm x ; !UnknownOption",
    sudo_dynamic_user_array: "sudo -u \"${u[@]}\" rm x" => "top: sudo -u ⟨\"${u[@]}\"⟩ rm x ; !UnknownOption",
    sudo_dynamic_option: "sudo \"$OPT\" rm x" => "top: sudo ⟨\"$OPT\"⟩ rm x ; wrapper[sudo]: ⟨\"$OPT\"⟩ rm x",
    doas_dynamic_user: "doas -u \"$U\" rm x" => "top: doas -u ⟨\"$U\"⟩ rm x ; wrapper[doas -u]: rm x",
    runuser_dynamic_user: "runuser -u \"$U\" -- rm x" => "top: runuser -u ⟨\"$U\"⟩ -- rm x ; wrapper[runuser -u]: rm x",
    su_dynamic_group: "su -g \"$G\" root -c 'rm x'" => "top: su -g ⟨\"$G\"⟩ root -c rm x ; script[su -c]: rm x",
    su_dynamic_shell: "su -s \"$SH\" root -c 'rm x'" => "top: su -s ⟨\"$SH\"⟩ root -c rm x ; !UnknownOption",
    env_dynamic_unset: "env -u \"$V\" rm x" => "top: env -u ⟨\"$V\"⟩ rm x ; wrapper[env]: rm x",
    env_dynamic_split: "env -S \"$S\" rm x" => "top: env -S ⟨\"$S\"⟩ rm x ; !UnknownOption",
    nice_dynamic: "nice -n \"$N\" rm x" => "top: nice -n ⟨\"$N\"⟩ rm x ; wrapper[nice]: rm x",
    timeout_dynamic: "timeout -k \"$K\" \"$T\" rm x" => "top: timeout -k ⟨\"$K\"⟩ ⟨\"$T\"⟩ rm x ; wrapper[timeout]: rm x",
    flock_dynamic_wait: "flock -w \"$W\" /tmp/l rm x" => "top: flock -w ⟨\"$W\"⟩ /tmp/l rm x ; wrapper[flock]: rm x",
    flock_dynamic_command: "flock -c \"$C\" /tmp/l" => "top: flock -c ⟨\"$C\"⟩ /tmp/l ; !UnknownOption",
    xargs_dynamic_count: "xargs -n \"$N\" rm" => "top: xargs -n ⟨\"$N\"⟩ rm ; wrapper[xargs]: rm …",
    xargs_dynamic_replace: "xargs -I \"$R\" rm" => "top: xargs -I ⟨\"$R\"⟩ rm ; !UnknownOption",
    watch_dynamic_interval: "watch -n \"$N\" 'rm x'" => "top: watch -n ⟨\"$N\"⟩ rm x ; script[watch]: rm x",
    su_c: "su - postgres -c 'psql -c \"DROP TABLE x\"'" => "top: su - postgres -c psql -c \"DROP TABLE x\" ; script[su USER -c]: psql -c DROP TABLE x",
    // The `via` of a privilege wrapper says whether the command runs as root.
    sudo_as_root: "sudo -u root rm x" => "top: sudo -u root rm x ; wrapper[sudo]: rm x",
    sudo_as_uid_0: "sudo -u '#0' rm x" => "top: sudo -u #0 rm x ; wrapper[sudo]: rm x",
    sudo_as_user: "sudo -u postgres psql" => "top: sudo -u postgres psql ; wrapper[sudo -u]: psql",
    doas_as_user: "doas -u www rm x" => "top: doas -u www rm x ; wrapper[doas -u]: rm x",
    pkexec_as_user: "pkexec --user www rm x" => "top: pkexec --user www rm x ; wrapper[pkexec --user]: rm x",
    su_c_root: "su -c 'rm x'" => "top: su -c rm x ; script[su -c]: rm x",
    su_c_root_named: "su -l root -c 'rm x'" => "top: su -l root -c rm x ; script[su -c]: rm x",
    su_c_user_after: "su -c 'rm x' postgres" => "top: su -c rm x postgres ; script[su USER -c]: rm x",
    // A literal text piped into a shell is its script (session of 2026-12-04).
    echo_piped_script: "echo rm -rf / | bash" => "top: echo rm -rf / ; top: bash ; script[echo | sh]: rm -rf /",
    printf_piped_script: "printf 'rm -rf /' | sudo sh -s" =>
        "top: printf rm -rf / ; top: sudo sh -s ; wrapper[sudo]: sh -s ; script[echo | sh]: rm -rf /",
    printf_piped_lines: "printf '%s\\n' 'cd /srv' 'rm x' | sh" =>
        "top: printf %s\\n cd /srv rm x ; top: sh ; script[echo | sh]: cd /srv ; script[echo | sh]: rm x",
    printf_piped_format: "printf '%d' 5 | sh" => "top: printf %d 5 ; top: sh ; !DynamicScript",
    printf_piped_b_escapes: "printf '%b\\n' 'rm\\x20x' | sh" => "top: printf %b\\n rm\\x20x ; top: sh ; !DynamicScript",
    printf_piped_b_plain: "printf '%b\\n' 'rm x' | sh" => "top: printf %b\\n rm x ; top: sh ; script[echo | sh]: rm x",
    echo_piped_dynamic: "echo \"$X\" | sh" => "top: echo ⟨\"$X\"⟩ ; top: sh ; !DynamicScript",
    // Inline code that prints one literal into a shell (session of 2026-12-05 from 03:18 UTC).
    python_print_piped: "python3 -c 'print(\"rm x\")' | sh" =>
        "top: python3 -c print(\"rm x\") ; top: sh ; script[echo | sh]: rm x",
    perl_print_piped: "perl -e 'print \"rm x\\n\"' | bash" =>
        "top: perl -e print \"rm x\\n\" ; top: bash ; script[echo | sh]: rm x",
    awk_print_piped: "awk 'BEGIN{print \"rm x\"}' | sh" =>
        "top: awk BEGIN{print \"rm x\"} ; top: sh ; script[echo | sh]: rm x",
    node_log_piped: "node -e 'console.log(\"rm x\")' | sh" =>
        "top: node -e console.log(\"rm x\") ; top: sh ; script[echo | sh]: rm x",
    python_print_expr_piped: "python3 -c 'print(1+1)' | sh" => "top: python3 -c print(1+1) ; top: sh",
    python_print_escape_piped: "python3 -c 'print(\"rm\\tx\")' | sh" => "top: python3 -c print(\"rm\\tx\") ; top: sh",
    python_print_not_shell: "python3 -c 'print(\"rm x\")' | wc -l" => "top: python3 -c print(\"rm x\") ; top: wc -l",
    cpulimit_runs: "cpulimit -l 50 -- rm x" => "top: cpulimit -l 50 -- rm x ; wrapper[cpulimit]: rm x",
    cpulimit_pid: "cpulimit -p 123 -l 50" => "top: cpulimit -p 123 -l 50",
    // A declaration builtin's array arguments.
    declare_array_arg: "declare -a a=(x y); local -a b=()" => "top: declare -a a=(x y) ; top: local -a b=()",
    echo_paren_still_syntax: "echo a=(b)" => "!Syntax",
    // ssh's ProxyCommand and LocalCommand run here.
    ssh_proxy_command: "ssh -o ProxyCommand='nc %h %p' x" =>
        "top: ssh -o ProxyCommand=nc %h %p x ; script[ssh ProxyCommand]: nc %h %p",
    ssh_proxy_command_attached: "ssh -oproxycommand=rm\\ x h ls" =>
        "top: ssh -oproxycommand=rm x h ls ; script[ssh ProxyCommand]: rm x ; script[ssh]: ls",
    ssh_proxy_command_none: "ssh -o ProxyCommand=none x" => "top: ssh -o ProxyCommand=none x",
    ssh_other_option: "ssh -o StrictHostKeyChecking=no x" => "top: ssh -o StrictHostKeyChecking=no x",
    ssh_other_option_value: "ssh -i ProxyCommand=x h" => "top: ssh -i ProxyCommand=x h",
    // A variable whose value programs run as a command.
    command_variable: "GIT_SSH_COMMAND='rm x' git fetch" => "top: GIT_SSH_COMMAND=rm x git fetch ; script[ssh command]: rm x",
    command_variable_pager: "PAGER=cat git log" => "top: PAGER=cat git log ; script[command variable]: cat",
    command_variable_dynamic: "GIT_SSH_COMMAND=\"ssh -i $K\" git fetch" => "top: ⟨GIT_SSH_COMMAND=\"ssh -i $K\"⟩ git fetch ; !DynamicScript",
    command_variable_env: "env PAGER=cat git log" => "top: env PAGER=cat git log ; wrapper[env]: PAGER=cat git log ; script[command variable]: cat",
    command_variable_export: "export GIT_SSH_COMMAND='rm x' PAGER=less" => "top: export GIT_SSH_COMMAND=rm x PAGER=less ; script[ssh command]: rm x ; script[command variable]: less",
    command_variable_export_dynamic: "export EDITOR=\"$E\"" => "top: export ⟨EDITOR=\"$E\"⟩ ; !DynamicScript",
    git_c_pager: "git -c core.pager=cat log" => "top: git -c core.pager=cat log ; script[git -c]: cat",
    git_c_ssh_command: "git -c core.sshCommand='ssh -i k' -c user.name=x fetch" => "top: git -c core.sshCommand=ssh -i k -c user.name=x fetch ; script[ssh command]: ssh -i k",
    git_c_dynamic: "git -c core.editor=\"$E\" commit" => "top: git -c ⟨core.editor=\"$E\"⟩ commit ; !DynamicScript",
    git_config_editor: "git config --global core.editor 'vim -f'" => "top: git config --global core.editor vim -f ; script[git config]: vim -f",
    git_config_set_ssh: "git config set core.sshcommand 'rm x'" => "top: git config set core.sshcommand rm x ; script[ssh command]: rm x",
    git_config_reading: "git config --get-regexp core.pager 'rm x'" => "top: git config --get-regexp core.pager rm x",
    git_config_dynamic: "git config core.pager \"$P\"" => "top: git config core.pager ⟨\"$P\"⟩ ; !DynamicScript",
    expect_spawn: "expect -c 'spawn rm x; expect eof'" => "top: expect -c spawn rm x; expect eof ; script[expect spawn]: rm x",
    expect_exec: "expect -c 'set t 5\n  exec rm -rf / '" => "top: expect -c set t 5\n  exec rm -rf /  ; script[expect spawn]: rm -rf /",
    expect_tcl_words: "expect -c 'spawn $c; exec {rm} x; spawn rm [f]'" => "top: expect -c spawn $c; exec {rm} x; spawn rm [f]",
    export_other_variable: "export FOO='rm x'" => "top: export FOO=rm x",
    rsync_remote_shell: "rsync -e 'ssh -p 2222' a h:b" => "top: rsync -e ssh -p 2222 a h:b ; script[ssh command]: ssh -p 2222",
    rsync_rsh_attached: "rsync --rsh='rm x' -avzerm a h:b" => "top: rsync --rsh=rm x -avzerm a h:b ; script[ssh command]: rm x",
    rsync_cluster_e: "rsync -avze 'rm x' a h:b" => "top: rsync -avze rm x a h:b ; script[ssh command]: rm x",
    rsync_dynamic_shell: "rsync -e \"ssh -p $P\" a h:b" => "top: rsync -e ⟨\"ssh -p $P\"⟩ a h:b ; !DynamicScript",
    rsync_operand_ending_in_e: "rsync -a myfile /x/" => "top: rsync -a myfile /x/",
    rsync_after_dashdash: "rsync -a -- -e x h:b" => "top: rsync -a -- -e x h:b",
    git_config_other_key: "git config user.name 'rm x'" => "top: git config user.name rm x",
    // Aliases whose value starts with `!` run it with the shell; a key only known at run
    // time may be any command key (session of 2026-12-05 from 08:00 UTC).
    git_c_alias_shell: "git -c alias.x='!rm x' x" => "top: git -c alias.x=!rm x x ; script[git -c]: rm x",
    git_c_alias_git: "git -c alias.st=status st" => "top: git -c alias.st=status st",
    git_config_alias_shell: "git config --global alias.c '!rm x'" => "top: git config --global alias.c !rm x ; script[git config]: rm x",
    git_config_alias_git: "git config alias.co checkout" => "top: git config alias.co checkout",
    git_config_alias_dynamic: "git config alias.x \"$A\"" => "top: git config alias.x ⟨\"$A\"⟩ ; !DynamicScript",
    git_c_quoted_dynamic: "git -c \"core.pager=$P\" log" => "top: git -c ⟨\"core.pager=$P\"⟩ log ; !DynamicScript",
    git_c_dynamic_key: "git -c \"$O\" log" => "top: git -c ⟨\"$O\"⟩ log ; !DynamicScript",
    git_c_other_dynamic: "git -c \"user.name=$N\" log" => "top: git -c ⟨\"user.name=$N\"⟩ log",
    git_config_dynamic_key: "git config \"$K\" x" => "top: git config ⟨\"$K\"⟩ x ; !DynamicScript",
    command_variable_alone: "PAGER='less -R'" => "top: PAGER=less -R ; script[command variable]: less -R",
    other_variable: "X='rm x' make" => "top: X=rm x make",
    // Escapes `echo -e` and a `printf` format decode are read (session of 2026-12-04 from
    // 15:00 UTC); one they do not, or echo's `\NNN` without the 0, stays unread.
    echo_e_piped_escapes: "echo -e 'rm x\\n' | sh" => "top: echo -e rm x\\n ; top: sh ; script[echo | sh]: rm x",
    echo_e_piped_hex: "echo -e '\\x72\\x6d -rf /' | sh" =>
        "top: echo -e \\x72\\x6d -rf / ; top: sh ; script[echo | sh]: rm -rf /",
    echo_e_piped_octal: "echo -e '\\0162m' x | sh" => "top: echo -e \\0162m x ; top: sh ; script[echo | sh]: rm x",
    echo_e_piped_bad_octal: "echo -e '\\162m' | sh" => "top: echo -e \\162m ; top: sh ; !DynamicScript",
    echo_e_piped_stop: "echo -e 'rm x\\c' | sh" => "top: echo -e rm x\\c ; top: sh ; !DynamicScript",
    printf_piped_hex: "printf '\\x72\\x6d -rf /' | sh" =>
        "top: printf \\x72\\x6d -rf / ; top: sh ; script[echo | sh]: rm -rf /",
    printf_piped_octal: "printf '\\162\\155 x\\n' | sh" =>
        "top: printf \\162\\155 x\\n ; top: sh ; script[echo | sh]: rm x",
    printf_piped_unknown_escape: "printf 'rm \\q' | sh" => "top: printf rm \\q ; top: sh ; !DynamicScript",
    printf_piped_nul: "printf 'rm\\0 x' | sh" => "top: printf rm\\0 x ; top: sh ; !DynamicScript",
    echo_piped_redirected: "echo rm x | sh < /dev/null" => "top: echo rm x ; top: sh </dev/null",
    echo_piped_not_a_shell: "echo rm x | cat" => "top: echo rm x ; top: cat",
    echo_piped_shell_c: "echo rm x | sh -c cat" => "top: echo rm x ; top: sh -c cat ; script[sh -c]: cat",
    // The commands of a group or subshell piped into a shell (session of 2026-12-04 from
    // 09:29 UTC): each prints a piece of the script, in order.
    group_piped_script: "{ echo ls; echo rm x; } | sh" =>
        "top: echo ls ; top: echo rm x ; top: sh ; script[echo | sh]: ls ; script[echo | sh]: rm x",
    subshell_piped_script: "(echo ls; printf 'rm x') | bash" =>
        "top: echo ls ; top: printf rm x ; top: bash ; script[echo | sh]: ls ; script[echo | sh]: rm x",
    group_piped_other: "{ echo ls; cat f; } | sh" => "top: echo ls ; top: cat f ; top: sh",
    group_piped_inner_pipe: "{ echo a | echo b; echo rm x; } | sh" =>
        "top: echo a ; top: echo b ; top: echo rm x ; top: sh",
    group_before_pipe_not_read: "echo rm x; { echo ls; } | sh" =>
        "top: echo rm x ; top: echo ls ; top: sh ; script[echo | sh]: ls",
    // Programs that run the command their operands name (session of 2026-12-04).
    run0_cmd: "run0 rm x" => "top: run0 rm x ; wrapper[run0]: rm x",
    run0_user: "run0 -u www rm x" => "top: run0 -u www rm x ; wrapper[run0 -u]: rm x",
    systemd_run_timer: "systemd-run --on-active=60 rm -rf /srv" =>
        "top: systemd-run --on-active=60 rm -rf /srv ; wrapper[systemd-run]: rm -rf /srv",
    systemd_run_exec_property: "systemd-run -p ExecStartPre=/bin/x true" =>
        "top: systemd-run -p ExecStartPre=/bin/x true ; !UnknownOption",
    systemd_run_dynamic_property: "systemd-run -p \"$P\" true" =>
        "top: systemd-run -p ⟨\"$P\"⟩ true ; !UnknownOption",
    nsenter_cmd: "nsenter -t 1 -m -u -n rm x" => "top: nsenter -t 1 -m -u -n rm x ; wrapper[nsenter]: rm x",
    nsenter_attached_ns: "nsenter -m/proc/1/ns/mnt rm x" => "top: nsenter -m/proc/1/ns/mnt rm x ; wrapper[nsenter]: rm x",
    unshare_cmd: "unshare -rm sh -c 'rm x'" => "top: unshare -rm sh -c rm x ; wrapper[unshare]: sh -c rm x ; script[sh -c]: rm x",
    chrt_priority: "chrt -f 99 rm x" => "top: chrt -f 99 rm x ; wrapper[chrt]: rm x",
    chrt_pid: "chrt -p 1234" => "top: chrt -p 1234",
    strace_output: "strace -f -o /tmp/t rm x" => "top: strace -f -o /tmp/t rm x ; wrapper[strace]: rm x",
    strace_unknown_option: "strace --bogus rm x" => "top: strace --bogus rm x ; !UnknownOption",
    valgrind_long: "valgrind --tool=memcheck --leak-check=full ./app" =>
        "top: valgrind --tool=memcheck --leak-check=full ./app ; wrapper[valgrind]: ./app",
    faketime_stamp: "faketime '2020-01-01' rm x" => "top: faketime 2020-01-01 rm x ; wrapper[faketime]: rm x",
    // sshpass, container entrypoints and privilege droppers (session of 2026-12-04 from 09:29 UTC).
    sshpass_ssh: "sshpass -e ssh h 'rm x'" =>
        "top: sshpass -e ssh h rm x ; wrapper[sshpass]: ssh h rm x ; script[ssh]: rm x",
    sshpass_password: "sshpass -p pw ssh h" => "top: sshpass -p pw ssh h ; wrapper[sshpass]: ssh h",
    sshpass_unknown_option: "sshpass -x ssh h" => "top: sshpass -x ssh h ; !UnknownOption",
    gosu_user: "gosu app rm x" => "top: gosu app rm x ; wrapper[gosu]: rm x",
    gosu_root: "gosu root:root rm x" => "top: gosu root:root rm x ; wrapper[gosu root]: rm x",
    gosu_no_command: "gosu app" => "top: gosu app",
    su_exec_user: "su-exec app:app rm x" => "top: su-exec app:app rm x ; wrapper[su-exec]: rm x",
    s6_setuidgid_user: "s6-setuidgid app rm x" => "top: s6-setuidgid app rm x ; wrapper[s6-setuidgid]: rm x",
    tini_dashdash: "tini -s -p SIGTERM -- rm x" => "top: tini -s -p SIGTERM -- rm x ; wrapper[tini]: rm x",
    dumb_init_child: "dumb-init -c rm x" => "top: dumb-init -c rm x ; wrapper[dumb-init]: rm x",
    catatonit_cmd: "catatonit -- rm x" => "top: catatonit -- rm x ; wrapper[catatonit]: rm x",
    fakeroot_cmd: "fakeroot -- rm x" => "top: fakeroot -- rm x ; wrapper[fakeroot]: rm x",
    with_contenv_cmd: "with-contenv rm x" => "top: with-contenv rm x ; wrapper[with-contenv]: rm x",
    // Commands run in another namespace, sandbox, container or machine.
    ip_netns_exec: "ip netns exec ns1 rm x" => "top: ip netns exec ns1 rm x ; wrapper[ip netns exec]: rm x",
    ip_link_nothing: "ip link set eth0 up" => "top: ip link set eth0 up",
    heroku_run: "heroku run -a app rm -rf x" =>
        "top: heroku run -a app rm -rf x ; script[heroku run]: rm -rf x",
    fly_ssh_command: "fly ssh console -C 'rm x'" =>
        "top: fly ssh console -C rm x ; script[fly ssh console -C]: rm x",
    gh_codespace_ssh: "gh codespace ssh -c cs -- rm x" =>
        "top: gh codespace ssh -c cs -- rm x ; script[gh codespace ssh]: rm x",
    gh_other_nothing: "gh pr list" => "top: gh pr list",
    machinectl_shell: "machinectl shell root@c /bin/rm x" =>
        "top: machinectl shell root@c /bin/rm x ; wrapper[machinectl shell]: /bin/rm x",
    distrobox_enter: "distrobox enter box -- rm x" => "top: distrobox enter box -- rm x ; wrapper[distrobox enter]: rm x",
    toolbox_run: "toolbox run -c fedora rm x" => "top: toolbox run -c fedora rm x ; wrapper[toolbox run]: rm x",
    flatpak_spawn_host: "flatpak-spawn --host --env=A=b rm x" =>
        "top: flatpak-spawn --host --env=A=b rm x ; wrapper[flatpak-spawn]: rm x",
    lxc_attach_dashdash: "lxc-attach -n c -- rm x" => "top: lxc-attach -n c -- rm x ; wrapper[lxc-attach]: rm x",
    lxc_attach_no_dashdash: "lxc-attach -n c rm x" => "top: lxc-attach -n c rm x ; !UnknownOption",
    bwrap_opaque: "bwrap --bind / / rm x" => "top: bwrap --bind / / rm x ; !UnknownOption",
    oc_rsh_cmd: "oc rsh -c app api-0 rm x" => "top: oc rsh -c app api-0 rm x ; wrapper[oc rsh]: rm x",
    // git and package runners that run commands (session of 2026-12-04 from 06:43 UTC).
    git_submodule_foreach: "git submodule foreach 'rm -rf x'" =>
        "top: git submodule foreach rm -rf x ; script[git submodule foreach]: rm -rf x",
    git_submodule_foreach_words: "git -C r submodule -q foreach --recursive git pull" =>
        "top: git -C r submodule -q foreach --recursive git pull ; script[git submodule foreach]: git pull",
    git_submodule_update: "git submodule update --init" => "top: git submodule update --init",
    git_rebase_exec: "git rebase -x 'make test' --exec 'rm x' main" =>
        "top: git rebase -x make test --exec rm x main ; script[git rebase --exec]: make test ; script[git rebase --exec]: rm x",
    git_rebase_exec_attached: "git rebase --exec='rm x' main" =>
        "top: git rebase --exec=rm x main ; !UnknownOption",
    git_bisect_run: "git bisect run ./test.sh arg" =>
        "top: git bisect run ./test.sh arg ; wrapper[git bisect run]: ./test.sh arg",
    git_plain: "git -c core.x=1 log --oneline" => "top: git -c core.x=1 log --oneline",
    npx_cmd: "npx -y --package=x@1 rm -rf y" => "top: npx -y --package=x@1 rm -rf y ; wrapper[npx]: rm -rf y",
    npx_call: "npx -c 'rm x'" => "top: npx -c rm x ; script[npx]: rm x",
    npx_unknown_option: "npx --weird rm x" => "top: npx --weird rm x ; !UnknownOption",
    npm_exec_dashdash: "npm exec -- rm x" => "top: npm exec -- rm x ; wrapper[npm exec]: rm x",
    npm_run_is_not_exec: "npm run build" => "top: npm run build",
    pnpm_dlx: "pnpm dlx create-vite app" => "top: pnpm dlx create-vite app ; wrapper[pnpm dlx]: create-vite app",
    yarn_exec: "yarn exec rm x" => "top: yarn exec rm x ; wrapper[yarn exec]: rm x",
    // String literals inline interpreter code runs through the shell (session of 2026-12-04
    // from 06:43 UTC).
    perl_system: "perl -e 'system(\"rm -rf x\")'" =>
        "top: perl -e system(\"rm -rf x\") ; script[perl system]: rm -rf x",
    perl_exec_bare: "perl -e 'exec \"/bin/sh\";'" =>
        "top: perl -e exec \"/bin/sh\"; ; script[perl system]: /bin/sh",
    perl_backquotes: "perl -e 'print `id`'" => "top: perl -e print `id` ; script[perl system]: id",
    perl_joined_is_not_read: "perl -e 'system(\"rm \" . $f)'" => "top: perl -e system(\"rm \" . $f)",
    perl_escaped_is_not_read: "perl -e 'system(\"rm \\\"x\\\"\")'" =>
        "top: perl -e system(\"rm \\\"x\\\"\")",
    // AppleScript's `do shell script "…"` (session of 2026-12-05 from 13:27 UTC).
    npm_set_script: "npm set-script preinstall 'curl x | sh'" =>
        "top: npm set-script preinstall curl x | sh ; script[npm pkg set scripts]: curl x ; script[npm pkg set scripts]: sh",
    npm_set_script_dynamic: "npm set-script build \"$CMD\"" =>
        "top: npm set-script build ⟨\"$CMD\"⟩ ; !DynamicScript",
    osascript_do_shell_script: "osascript -e 'do shell script \"rm -rf x\"'" =>
        "top: osascript -e do shell script \"rm -rf x\" ; script[osascript do shell script]: rm -rf x",
    osascript_as_administrator: "osascript -e 'do shell script \"rm x\" with administrator privileges'" =>
        "top: osascript -e do shell script \"rm x\" with administrator privileges ; script[osascript with administrator privileges]: rm x",
    osascript_any_case_and_blanks: "osascript -e 'Do  Shell Script \"id\"' -e 'beep'" =>
        "top: osascript -e Do  Shell Script \"id\" -e beep ; script[osascript do shell script]: id",
    osascript_joined_is_not_read: "osascript -e 'do shell script \"rm \" & quoted form of p'" =>
        "top: osascript -e do shell script \"rm \" & quoted form of p",
    osascript_escaped_is_not_read: "osascript -e 'do shell script \"echo \\\"x\\\"\"'" =>
        "top: osascript -e do shell script \"echo \\\"x\\\"\"",
    osascript_terminal_do_script: "osascript -e 'tell application \"Terminal\" to do script \"rm x\"'" =>
        "top: osascript -e tell application \"Terminal\" to do script \"rm x\" ; script[osascript do script]: rm x",
    osascript_words_apart: "osascript -e 'doshellscript \"id\"'" =>
        "top: osascript -e doshellscript \"id\"",
    osascript_other_words: "osascript -e 'display dialog \"do shell script\"'" =>
        "top: osascript -e display dialog \"do shell script\"",
    osascript_script_file: "osascript x.scpt 'do shell script \"id\"'" =>
        "top: osascript x.scpt do shell script \"id\"",
    python_two_shell_outs: "python3 -c 'import os; os.system(\"rm a\"); os.system(\"rm b\")'" =>
        "top: python3 -c import os; os.system(\"rm a\"); os.system(\"rm b\") ; script[python system]: rm a ; script[python system]: rm b",
    python_os_system: "python3 -c 'import os; os.system(\"rm x\")'" =>
        "top: python3 -c import os; os.system(\"rm x\") ; script[python system]: rm x",
    python_subprocess_run: "python3 -c 'import subprocess; subprocess.run(\"rm x\", shell=True)'" =>
        "top: python3 -c import subprocess; subprocess.run(\"rm x\", shell=True) ; script[python system]: rm x",
    python_other_call: "python3 -c 'print(\"rm x\")'" => "top: python3 -c print(\"rm x\")",
    python_name_inside_another: "python3 -c 'mysystem(\"rm x\")'" => "top: python3 -c mysystem(\"rm x\")",
    node_exec_sync: "node -e 'require(\"child_process\").execSync(\"rm x\")'" =>
        "top: node -e require(\"child_process\").execSync(\"rm x\") ; script[node child_process]: rm x",
    php_shell_exec: "php -r 'shell_exec(\"rm x\");'" => "top: php -r shell_exec(\"rm x\"); ; script[php system]: rm x",
    ruby_backquotes: "ruby -e '`rm x`'" => "top: ruby -e `rm x` ; script[ruby system]: rm x",
    ruby_percent_x: "ruby -e 'puts %x{rm x}'" => "top: ruby -e puts %x{rm x} ; script[ruby system]: rm x",
    ruby_percent_x_bang: "ruby -e '%x!rm x!'" => "top: ruby -e %x!rm x! ; script[ruby system]: rm x",
    perl_qx: "perl -e 'print qx(rm x)'" => "top: perl -e print qx(rm x) ; script[perl system]: rm x",
    lua_os_execute: "lua -e 'os.execute(\"rm x\")'" => "top: lua -e os.execute(\"rm x\") ; script[lua os.execute]: rm x",
    rscript_system: "Rscript -e 'system(\"rm x\")'" => "top: Rscript -e system(\"rm x\") ; script[R system]: rm x",
    julia_command_literal: "julia -e 'run(`rm x`)'" => "top: julia -e run(`rm x`) ; script[julia run]: rm x",
    bun_exec_sync: "bun -e 'require(\"child_process\").execSync(\"rm x\")'" =>
        "top: bun -e require(\"child_process\").execSync(\"rm x\") ; script[node child_process]: rm x",
    deno_eval: "deno eval 'x.execute(\"rm x\")'" => "top: deno eval x.execute(\"rm x\") ; script[node child_process]: rm x",
    script_cluster: "script -qc 'rm x' /dev/null" => "top: script -qc rm x /dev/null ; script[script -c]: rm x",
    su_cluster: "su -lc 'rm x'" => "top: su -lc rm x ; script[su -c]: rm x",
    prompt_command_export: "export PROMPT_COMMAND='rm x'" => "top: export PROMPT_COMMAND=rm x ; script[PROMPT_COMMAND]: rm x",
    prompt_export_other: "export PS1='x y' A='rm x'" => "top: export PS1=x y A=rm x",
    shell_file_dev_stdin: "bash /dev/stdin <<< 'rm x'" => "top: bash /dev/stdin <<<rm x ; script[sh <<]: rm x",
    // util-linux script reads options after its file; after `--` they are operands.
    script_c_after_file: "script /dev/null -c 'rm x'" => "top: script /dev/null -c rm x ; script[script -c]: rm x",
    script_c_after_dashes: "script -- -c x" => "top: script -- -c x",
    // Not a quote operator: a format string, or the same delimiter opened again inside.
    ruby_percent_x_format: "ruby -e 'puts \"%x\" % 255'" => "top: ruby -e puts \"%x\" % 255",
    ruby_percent_x_nested: "ruby -e '%x(a (b))'" => "top: ruby -e %x(a (b))",
    python_call_other_name: "python3 -c 'import subprocess as s; s.call(\"rm x\", shell=True)'" =>
        "top: python3 -c import subprocess as s; s.call(\"rm x\", shell=True) ; script[python system]: rm x",
    awk_system: "awk 'BEGIN{system(\"rm x\")}'" => "top: awk BEGIN{system(\"rm x\")} ; script[awk system]: rm x",
    awk_file_program: "awk -f prog.awk 'system(\"x\")'" => "top: awk -f prog.awk system(\"x\")",
    awk_print: "awk '{print \"system\"}' f" => "top: awk {print \"system\"} f",
    python_script_file: "python3 x.py 'os.system(\"rm x\")'" => "top: python3 x.py os.system(\"rm x\")",
    // Code an interpreter reads from standard input (session of 2026-12-05 from 08:00 UTC).
    python_heredoc_system: "python3 - <<'EOF'\nimport os\nos.system(\"rm x\")\nEOF" =>
        "top: python3 - <<EOF ; script[python system]: rm x",
    python_heredoc_list: "python3 <<EOF\nsubprocess.run(['rm', '-rf', 'x'])\nEOF" =>
        "top: python3 <<EOF ; script[python system]: rm -rf x",
    sudo_perl_heredoc: "sudo perl -w <<'E'\nsystem(\"rm x\");\nE" =>
        "top: sudo perl -w <<E ; wrapper[sudo]: perl -w ; script[perl system]: rm x",
    python_here_string: "python3 <<< 'import os; os.system(\"rm x\")'" =>
        "top: python3 <<<import os; os.system(\"rm x\") ; script[python system]: rm x",
    python_echo_piped: "echo 'os.system(\"rm x\")' | python3" =>
        "top: echo os.system(\"rm x\") ; top: python3 ; script[python system]: rm x",
    cat_heredoc_into_python: "cat <<'EOF' | python3 -\nos.system(\"rm x\")\nEOF" =>
        "top: cat <<EOF ; top: python3 - ; script[python system]: rm x",
    cat_heredoc_into_python_file: "cat <<'EOF' | python3 x.py\nos.system(\"rm x\")\nEOF" =>
        "top: cat <<EOF ; top: python3 x.py",
    python_heredoc_script_file: "python3 x.py <<'EOF'\nos.system(\"rm x\")\nEOF" => "top: python3 x.py <<EOF",
    python_heredoc_inline_code: "python3 -Bc 'pass' <<'EOF'\nos.system(\"rm x\")\nEOF" => "top: python3 -Bc pass <<EOF",
    python_heredoc_attached_code: "python3 -c'pass' <<'EOF'\nos.system(\"rm x\")\nEOF" => "top: python3 -cpass <<EOF",
    perl_heredoc_cluster_e: "perl -le 'print 1' <<'EOF'\nsystem(\"rm x\")\nEOF" => "top: perl -le print 1 <<EOF",
    node_heredoc_exec: "node <<'EOF'\nrequire('child_process').execSync('rm x')\nEOF" =>
        "top: node <<EOF ; script[node child_process]: rm x",
    python_echo_dynamic: "echo \"os.system('$C')\" | python3" => "top: echo ⟨\"os.system('$C')\"⟩ ; top: python3",
    // Argument lists run without a shell (session of 2026-12-04 from 18:01 UTC).
    python_run_list: "python3 -c \"import subprocess; subprocess.run(['rm', '-rf', 'x'])\"" =>
        "top: python3 -c import subprocess; subprocess.run(['rm', '-rf', 'x']) ; script[python system]: rm -rf x",
    python_check_output_list: "python3 -c 'check_output([\"ls\",\"-l\"])'" =>
        "top: python3 -c check_output([\"ls\",\"-l\"]) ; script[python system]: ls -l",
    python_list_with_variable: "python3 -c \"subprocess.run(['rm', p])\"" =>
        "top: python3 -c subprocess.run(['rm', p])",
    python_list_glob_is_a_word: "python3 -c \"subprocess.run(['rm', '*'])\"" =>
        "top: python3 -c subprocess.run(['rm', '*']) ; script[python system]: rm *",
    python_other_run: "python3 -c 'asyncio.run(main())'" => "top: python3 -c asyncio.run(main())",
    python_list_name_inside_another: "python3 -c \"myrun(['rm', 'x'])\"" =>
        "top: python3 -c myrun(['rm', 'x'])",
    python_list_escaped_is_not_read: "python3 -c \"subprocess.run(['rm', 'a\\\\b'])\"" =>
        "top: python3 -c subprocess.run(['rm', 'a\\b'])",
    perl_joined_list_is_not_read: "perl -e 'exec \"rm\" . \"x\"'" => "top: perl -e exec \"rm\" . \"x\"",
    node_spawn_sync: "node -e \"require('child_process').spawnSync('rm', ['-rf', 'x'])\"" =>
        "top: node -e require('child_process').spawnSync('rm', ['-rf', 'x']) ; script[node child_process]: rm -rf x",
    perl_system_list: "perl -e 'system(\"rm\", \"-rf\", \"x\")'" =>
        "top: perl -e system(\"rm\", \"-rf\", \"x\") ; script[perl system]: rm ; script[perl system]: rm -rf x",
    ruby_system_list_bare: "ruby -e 'system \"rm\", \"-rf\", \"x\"'" =>
        "top: ruby -e system \"rm\", \"-rf\", \"x\" ; script[ruby system]: rm ; script[ruby system]: rm -rf x",
    printf_s_joins: "printf %s 'rm -rf x' | sh" =>
        "top: printf %s rm -rf x ; top: sh ; script[echo | sh]: rm -rf x",
    printf_s_space: "printf '%s ' rm -rf x | sh" =>
        "top: printf %s  rm -rf x ; top: sh ; script[echo | sh]: rm -rf x",
    written_then_sourced: "echo 'rm -rf x' > a.sh; . a.sh" =>
        "top: echo rm -rf x >a.sh ; top: . a.sh ; script[echo | sh]: rm -rf x",
    written_then_run: "printf 'rm x\\n' > ./a.sh && chmod +x a.sh && ./a.sh" =>
        "top: printf rm x\\n >./a.sh ; top: chmod +x a.sh ; top: ./a.sh ; script[echo | sh]: rm x",
    written_other_file: "echo 'rm x' > a.sh; sh b.sh" => "top: echo rm x >a.sh ; top: sh b.sh",
    written_by_cat_heredoc: "cat > a.sh <<'EOF'\nrm -rf x\nEOF\nbash a.sh" =>
        "top: cat >a.sh <<EOF ; top: bash a.sh ; script[sh FILE]: rm -rf x",
    written_by_cat_heredoc_first: "cat <<EOF >./a.sh\nrm x\nEOF\nchmod +x a.sh; ./a.sh" =>
        "top: cat <<EOF >./a.sh ; top: chmod +x a.sh ; top: ./a.sh ; script[sh FILE]: rm x",
    written_by_tee_heredoc: "tee a.sh <<EOF >/dev/null\nrm x\nEOF\nsh a.sh" =>
        "top: tee a.sh <<EOF >/dev/null ; top: sh a.sh ; script[sh FILE]: rm x",
    written_by_tee_heredoc_alone: "tee a.sh <<EOF\nrm x\nEOF\nsh a.sh" =>
        "top: tee a.sh <<EOF ; top: sh a.sh ; script[sh FILE]: rm x",
    written_by_tee_here_string: "tee a.sh <<< 'rm x' && sh a.sh" =>
        "top: tee a.sh <<<rm x ; top: sh a.sh ; script[sh FILE]: rm x",
    written_by_echo_into_tee: "echo 'rm x' | tee -a a.sh; sh a.sh" =>
        "top: echo rm x ; top: tee -a a.sh ; top: sh a.sh ; script[echo | sh]: rm x",
    // A `cat` of a file copies that file, not its here-document; another file is run.
    written_by_cat_of_a_file: "cat b.sh > a.sh <<EOF\nrm x\nEOF\nsh a.sh" =>
        "top: cat b.sh >a.sh <<EOF ; top: sh a.sh",
    written_heredoc_other_descriptor: "cat 3<<EOF > a.sh\nrm x\nEOF\nsh a.sh" =>
        "top: cat 3<<EOF >a.sh ; top: sh a.sh",
    written_heredoc_other_file: "cat > a.sh <<EOF\nrm x\nEOF\nsh b.sh" =>
        "top: cat >a.sh <<EOF ; top: sh b.sh",
    written_by_tee_other_file: "echo 'rm x' | tee b.sh; sh a.sh" =>
        "top: echo rm x ; top: tee b.sh ; top: sh a.sh",
    written_to_stderr_is_not_the_file: "echo hi > l; echo 'rm x' 2> a.sh; sh a.sh" =>
        "top: echo hi >l ; top: echo rm x 2>a.sh ; top: sh a.sh",
    vagrant_ssh_c: "vagrant ssh web -c 'rm x'" => "top: vagrant ssh web -c rm x ; script[vagrant ssh]: rm x",
    vagrant_ssh_plain: "vagrant ssh web -- -L 8080:localhost:80" => "top: vagrant ssh web -- -L 8080:localhost:80",
    multipass_exec: "multipass exec vm1 -d /srv -- rm -rf x" =>
        "top: multipass exec vm1 -d /srv -- rm -rf x ; wrapper[multipass exec]: rm -rf x",
    lxc_exec: "lxc exec c1 --user 0 rm x" => "top: lxc exec c1 --user 0 rm x ; wrapper[lxc exec]: rm x",
    lxc_exec_unknown: "lxc exec c1 --weird rm x" => "top: lxc exec c1 --weird rm x ; !UnknownOption",
    lxc_list: "lxc list" => "top: lxc list",
    ansible_shell: "ansible web -b -m shell -a 'rm x'" => "top: ansible web -b -m shell -a rm x ; script[ansible -a]: rm x",
    ansible_default_command: "ansible all -a 'rm x'" => "top: ansible all -a rm x ; script[ansible -a]: rm x",
    ansible_other_module: "ansible all -m ping" => "top: ansible all -m ping",
    ansible_copy_module: "ansible all -m copy -a 'src=a dest=b'" => "top: ansible all -m copy -a src=a dest=b",
    salt_cmd_run: "salt '*' cmd.run 'rm x'" => "top: salt * cmd.run rm x ; script[salt cmd.run]: rm x",
    pdsh_words: "pdsh -w web[1-3] -l root rm -rf x" => "top: pdsh -w ⟨web[1-3]⟩ -l root rm -rf x ; script[pdsh]: rm -rf x",
    pssh_script: "pssh -h hosts -i 'rm x'" => "top: pssh -h hosts -i rm x ; script[pssh]: rm x",
    clush_unknown: "clush --weird rm x" => "top: clush --weird rm x ; !UnknownOption",
    poetry_run: "poetry run pytest -x" => "top: poetry run pytest -x ; wrapper[poetry run]: pytest -x",
    poetry_install: "poetry install" => "top: poetry install",
    uv_run_options: "uv run --frozen --with httpx python x.py" =>
        "top: uv run --frozen --with httpx python x.py ; wrapper[uv run]: python x.py",
    uv_run_unknown_option: "uv run --weird rm x" => "top: uv run --weird rm x ; !UnknownOption",
    aws_vault_dashdash: "aws-vault exec prod -- aws s3 ls" =>
        "top: aws-vault exec prod -- aws s3 ls ; wrapper[aws-vault exec]: aws s3 ls",
    aws_vault_options: "aws-vault exec -d 1h prod aws s3 ls" =>
        "top: aws-vault exec -d 1h prod aws s3 ls ; wrapper[aws-vault exec]: aws s3 ls",
    op_run: "op run --env-file .env -- ./deploy.sh" =>
        "top: op run --env-file .env -- ./deploy.sh ; wrapper[op run]: ./deploy.sh",
    op_run_without_dashdash: "op run --env-file .env ./deploy.sh" =>
        "top: op run --env-file .env ./deploy.sh ; !UnknownOption",
    doppler_command: "doppler run --command 'rm x'" =>
        "top: doppler run --command rm x ; script[doppler run --command]: rm x",
    nix_shell_run: "nix-shell -p jq --run 'jq . x'" => "top: nix-shell -p jq --run jq . x ; script[nix-shell --run]: jq . x",
    nix_develop: "nix develop -c make" => "top: nix develop -c make ; wrapper[nix develop]: make",
    conda_run: "conda run -n base python x.py" => "top: conda run -n base python x.py ; wrapper[conda run]: python x.py",
    direnv_exec: "direnv exec . make" => "top: direnv exec . make ; wrapper[direnv exec]: make",
    poetry_global_option_first: "poetry -C app run rm x" => "top: poetry -C app run rm x ; !UnknownOption",
    // GNU parallel: the values after `:::` are appended; without them they come at run time.
    parallel_values: "parallel rm -rf ::: / /home" =>
        "top: parallel rm -rf ::: / /home ; wrapper[parallel]: rm -rf / /home",
    parallel_replacement: "parallel -j4 gzip -9 {} ::: a b ::: c" =>
        "top: parallel -j4 gzip -9 {} ::: a b ::: c ; wrapper[parallel]: gzip -9 ⟨{}⟩ a b c",
    parallel_stdin: "parallel --bar rm" => "top: parallel --bar rm ; wrapper[parallel]: rm …",
    parallel_files: "parallel rm :::: list.txt" => "top: parallel rm :::: list.txt ; wrapper[parallel]: rm …",
    parallel_commands: "parallel ::: 'rm -rf /' ls" =>
        "top: parallel ::: rm -rf / ls ; script[parallel]: rm -rf / ; script[parallel]: ls",
    parallel_one_word_script: "parallel 'cd {} && make' ::: a" =>
        "top: parallel cd {} && make ::: a ; script[parallel]: cd {} ; script[parallel]: make",
    parallel_unknown_option: "parallel --bogus rm ::: a" => "top: parallel --bogus rm ::: a ; !UnknownOption",
    // An option whose value is missing at the end (found by the fuzzer: a panic once).
    parallel_missing_value: "parallel -0j" => "top: parallel -0j",
    tmux_missing_value: "tmux -c" => "top: tmux -c",
    tmux_new_missing_value: "tmux new -t" => "top: tmux new -t",
    screen_missing_value: "screen -S" => "top: screen -S",
    screen_x_missing: "screen -X" => "top: screen -X",
    // tmux and screen run the command they are given.
    tmux_new_script: "tmux new -d -s b 'make -j4 && rm -rf out'" =>
        "top: tmux new -d -s b make -j4 && rm -rf out ; script[tmux]: make -j4 ; script[tmux]: rm -rf out",
    tmux_new_argv: "tmux new-window -n x rm -rf /" => "top: tmux new-window -n x rm -rf / ; wrapper[tmux]: rm -rf /",
    tmux_send_keys: "tmux send-keys -t s:0 'rm -rf /' Enter" =>
        "top: tmux send-keys -t s:0 rm -rf / Enter ; script[tmux]: rm -rf /",
    tmux_chained: "tmux new -d -s a \\; split-window 'make'" =>
        "top: tmux new -d -s a ; split-window make ; script[tmux]: make",
    tmux_global_c: "tmux -c 'rm x'" => "top: tmux -c rm x ; script[tmux]: rm x",
    tmux_list: "tmux ls" => "top: tmux ls",
    tmux_unknown_option: "tmux new -Q x" => "top: tmux new -Q x ; !UnknownOption",
    screen_dm: "screen -dmS job bash -c 'rm -rf /'" =>
        "top: screen -dmS job bash -c rm -rf / ; wrapper[screen]: bash -c rm -rf / ; script[sh -c]: rm -rf /",
    screen_logfile: "screen -L -Logfile x.log -dm make" =>
        "top: screen -L -Logfile x.log -dm make ; wrapper[screen]: make",
    screen_x_screen: "screen -S a -X screen -t w rm x" => "top: screen -S a -X screen -t w rm x ; wrapper[screen]: rm x",
    screen_stuff: "screen -S a -X stuff 'rm x'" => "top: screen -S a -X stuff rm x ; !DynamicScript",
    screen_attach: "screen -r job" => "top: screen -r job",
    // `at` and `batch` read the job's commands from standard input.
    at_piped_echo: "echo 'rm -rf /' | at now" => "top: echo rm -rf / ; top: at now ; script[echo | sh]: rm -rf /",
    at_here_string: "at now <<< 'reboot'" => "top: at now <<<reboot ; script[at <<]: reboot",
    at_file: "at -f job.sh now" => "top: at -f job.sh now",
    doppler_command_attached: "doppler run --command='rm x'" => "top: doppler run --command=rm x ; !UnknownOption",
    kubectl_exec: "kubectl exec -it -n prod api-0 -- sh -c 'rm -rf /data'" =>
        "top: kubectl exec -it -n prod api-0 -- sh -c rm -rf /data ; wrapper[kubectl exec]: sh -c rm -rf /data ; script[sh -c]: rm -rf /data",
    docker_exec: "docker exec -u root -it web psql -c 'select 1'" =>
        "top: docker exec -u root -it web psql -c select 1 ; wrapper[docker exec]: psql -c select 1",
    docker_exec_dynamic_user: "docker exec -u \"$U\" -e \"TOKEN=$T\" web rm x" =>
        "top: docker exec -u ⟨\"$U\"⟩ -e ⟨\"TOKEN=$T\"⟩ web rm x ; wrapper[docker exec]: rm x",
    docker_exec_dynamic_unquoted: "docker exec -u $U web rm x" => "top: docker exec -u ⟨$U⟩ web rm x ; !UnknownOption",
    docker_compose_exec: "docker compose -f x.yml exec -T db pg_dump app" =>
        "top: docker compose -f x.yml exec -T db pg_dump app ; wrapper[docker compose exec]: pg_dump app",
    trap_script: "trap 'rm -f /tmp/lock' EXIT" => "top: trap rm -f /tmp/lock EXIT ; script[trap]: rm -f /tmp/lock",
    watch_script: "watch -n 5 'kubectl get pods | grep api'" =>
        "top: watch -n 5 kubectl get pods | grep api ; script[watch]: kubectl get pods ; script[watch]: grep api",
    flock_c: "flock /tmp/l -c 'make deploy'" => "top: flock /tmp/l -c make deploy ; script[flock -c]: make deploy",
    wrappers_stack: "sudo env A=1 timeout 5 nice bash -c 'id'" =>
        "top: sudo env A=1 timeout 5 nice bash -c id ; wrapper[sudo]: env A=1 timeout 5 nice bash -c id ; wrapper[env]: A=1 timeout 5 nice bash -c id ; wrapper[timeout]: nice bash -c id ; wrapper[nice]: bash -c id ; script[sh -c]: id",
    absolute_wrapper: "/usr/bin/sudo /bin/rm x" => "top: /usr/bin/sudo /bin/rm x ; wrapper[sudo]: /bin/rm x",
    // Here-documents and here-strings that a shell or ssh reads as its script.
    heredoc_to_ssh: "ssh deploy@prod <<'EOF'\nsudo systemctl restart api\nrm -rf /tmp/x\nEOF" =>
        "top: ssh deploy@prod <<EOF ; script[ssh <<]: sudo systemctl restart api ; wrapper[sudo]: systemctl restart api ; script[ssh <<]: rm -rf /tmp/x",
    heredoc_to_bash: "bash -s -- a <<EOF\nrm -rf $1\nEOF" => "top: bash -s -- a <<EOF ; script[sh <<]: rm -rf ⟨$1⟩",
    heredoc_to_sudo_bash: "sudo bash <<'X'\nid\nX" => "top: sudo bash <<X ; wrapper[sudo]: bash ; script[sh <<]: id",
    heredoc_to_cat_is_data: "cat <<'EOF' > f\nrm -rf /\nEOF" => "top: cat <<EOF >f",
    bash_with_file_ignores_stdin: "bash x.sh <<EOF\nrm\nEOF" => "top: bash x.sh <<EOF",
    here_string_to_shell: "sh <<< 'rm -rf /'" => "top: sh <<<rm -rf / ; script[sh <<]: rm -rf /",
    // What the parser does not understand.
    function_def: "git() { rm -rf /; }; git pull" => "top: rm -rf / ; top: git pull ; !Definition",
    function_keyword: "function f { x; }" => "top: x ; !Definition",
    // An alias's value is read as the script its name will run (session of 2026-12-04 from
    // 15:00 UTC); the definition still makes the command opaque.
    alias_def: "alias ls='rm -rf /'; ls" => "top: alias ls=rm -rf / ; script[alias]: rm -rf / ; top: ls ; !Definition",
    alias_defs: "alias k=kubectl g='git status' \"$X\"" =>
        "top: alias k=kubectl g=git status ⟨\"$X\"⟩ ; script[alias]: kubectl ; script[alias]: git status ; !Definition",
    alias_list: "alias -p" => "top: alias -p",
    // Scripts cloud CLIs run on a machine, and scripts npm runs later (session of
    // 2026-12-04 from 15:00 UTC).
    gcloud_ssh_command: "gcloud compute ssh vm --zone z --command 'rm x'" =>
        "top: gcloud compute ssh vm --zone z --command rm x ; script[gcloud compute ssh]: rm x",
    gcloud_ssh_command_eq: "gcloud compute ssh vm --command='rm x'" =>
        "top: gcloud compute ssh vm --command=rm x ; script[gcloud compute ssh]: rm x",
    az_run_command: "az vm run-command invoke -g g -n vm --command-id RunShellScript --scripts 'rm x'" =>
        "top: az vm run-command invoke -g g -n vm --command-id RunShellScript --scripts rm x ; script[az vm run-command]: rm x",
    aws_ssm_commands: "aws ssm send-command --document-name AWS-RunShellScript --parameters commands='rm x'" =>
        "top: aws ssm send-command --document-name AWS-RunShellScript --parameters commands=rm x ; script[aws ssm send-command]: rm x",
    aws_ssm_json: "aws ssm send-command --parameters 'commands=[\"rm x\"]'" =>
        "top: aws ssm send-command --parameters commands=[\"rm x\"]",
    aws_other: "aws s3 ls" => "top: aws s3 ls",
    npm_pkg_set_scripts: "npm pkg set scripts.postinstall='rm x' name=y" =>
        "top: npm pkg set scripts.postinstall=rm x name=y ; script[npm pkg set scripts]: rm x",
    npm_pkg_get: "npm pkg get scripts" => "top: npm pkg get scripts",
    alias_dynamic: "alias x=\"$Y rm\"" => "top: alias ⟨x=\"$Y rm\"⟩ ; !Definition",
    // A shell whose script file is a process substitution printing literal text runs that
    // text (session of 2026-12-04 from 15:00 UTC); anything else there is not read.
    procsubst_script: "bash <(echo 'rm x')" => "substitution: echo rm x ; top: bash ⟨<(echo 'rm x')⟩ ; script[echo | sh]: rm x",
    procsubst_source: ". <(printf 'rm x')" => "substitution: printf rm x ; top: . ⟨<(printf 'rm x')⟩ ; script[echo | sh]: rm x",
    procsubst_other: "bash <(cat x.sh)" => "substitution: cat x.sh ; top: bash ⟨<(cat x.sh)⟩",
    procsubst_two: "bash <(echo a; echo b)" => "substitution: echo a ; substitution: echo b ; top: bash ⟨<(echo a; echo b)⟩",
    procsubst_not_a_shell: "diff <(echo a) b" => "substitution: echo a ; top: diff ⟨<(echo a)⟩ b",
    procsubst_then_subst: "bash <(echo 'rm x') $(date)" =>
        "substitution: echo rm x ; substitution: date ; top: bash ⟨<(echo 'rm x')⟩ ⟨$(date)⟩ ; script[echo | sh]: rm x",
    procsubst_inside_subst: "x=$(bash <(echo 'rm x'))" =>
        "substitution: echo rm x ; substitution: bash ⟨<(echo 'rm x')⟩ ; script[echo | sh]: rm x ; top: ⟨x=$(bash <(echo 'rm x'))⟩",
    procsubst_dynamic: "bash <(echo $X)" => "substitution: echo ⟨$X⟩ ; top: bash ⟨<(echo $X)⟩ ; !DynamicScript",
    shopt_change: "shopt -s extglob; ls" => "top: shopt -s extglob ; top: ls ; !ShellOption",
    shopt_glob_options: "shopt -s nullglob dotglob; rm -f *.tmp" => "top: shopt -s nullglob dotglob ; top: rm -f ⟨*.tmp⟩",
    shopt_mixed: "shopt -s nullglob expand_aliases" => "top: shopt -s nullglob expand_aliases ; !ShellOption",
    shopt_dynamic: "shopt -s $OPT" => "top: shopt -s ⟨$OPT⟩ ; !ShellOption",
    shopt_dynamic_flag: "shopt $F extglob" => "top: shopt ⟨$F⟩ extglob ; !ShellOption",
    shopt_unknown: "shopt -u xpg_echo" => "top: shopt -u xpg_echo ; !ShellOption",
    shopt_print: "shopt -p nullglob" => "top: shopt -p nullglob",
    set_posix: "set -o posix" => "top: set -o posix ; !ShellOption",
    set_e_is_fine: "set -euo pipefail" => "top: set -euo pipefail",
    unbalanced_single: "echo 'abc" => "!Syntax",
    unbalanced_double: "echo \"abc" => "!Syntax",
    unbalanced_subst: "echo $(ls" => "substitution: ls ; !Syntax",
    stray_fi: "ls; fi" => "top: ls ; !Syntax",
    missing_done: "while a; do b" => "top: a ; top: b ; !Syntax",
    other_shell: "set x (a b)" => "!Syntax",
    nul_byte: "ls\0 -la" => "top: ls\0 -la ; !ControlByte",
    carriage_return: "ls\r" => "top: ls\r ; !ControlByte",
    coproc: "coproc cat" => "top: cat ; !Unsupported",
    indirect: "echo ${!x}" => "top: echo ⟨${!x}⟩ ; !Arithmetic",
    subscript: "echo ${a[$i]} ${a[0]} ${a[@]}" => "top: echo ⟨${a[$i]}⟩ ⟨${a[0]}⟩ ⟨${a[@]}⟩ ; !Arithmetic",
}

#[test]
fn spans_point_at_words_and_parts() {
    let src = "A=1 sudo rm -rf '/tmp/x y' | tee log";
    let p = parse(src);
    let rm = p.parts.iter().find(|x| x.via == Some("sudo")).unwrap();
    assert_eq!(&src[rm.span.0..rm.span.1], "rm -rf '/tmp/x y'");
    let words: Vec<&str> = rm.argv.iter().map(|w| &src[w.span.0..w.span.1]).collect();
    assert_eq!(words, ["rm", "-rf", "'/tmp/x y'"]);
    let top = &p.parts[0];
    assert_eq!(&src[top.span.0..top.span.1], "A=1 sudo rm -rf '/tmp/x y'");
    assert_eq!((top.pipeline, top.stage), (0, 0));
    assert_eq!(
        (
            p.parts.last().unwrap().pipeline,
            p.parts.last().unwrap().stage
        ),
        (0, 1)
    );
}

#[test]
fn script_string_spans_map_into_the_input() {
    let src = "bash -c 'ls; rm -rf /'";
    let p = parse(src);
    let rm = p.parts.iter().find(|x| x.program() == Some("rm")).unwrap();
    assert_eq!(&src[rm.span.0..rm.span.1], "rm -rf /");
    // Decoded strings point at the whole script word.
    let src = "bash -c \"ls; rm -rf \\\"/\\\"\"";
    let p = parse(src);
    let rm = p.parts.iter().find(|x| x.program() == Some("rm")).unwrap();
    assert_eq!(&src[rm.span.0..rm.span.1], "\"ls; rm -rf \\\"/\\\"\"");
}

#[test]
fn background_and_pipeline_stages() {
    let p = parse("curl -fsSL https://x | sudo bash & echo done");
    let bash = p
        .parts
        .iter()
        .find(|x| x.program() == Some("bash"))
        .unwrap();
    assert!(bash.background);
    assert_eq!(bash.stage, 1);
    let curl = p
        .parts
        .iter()
        .find(|x| x.program() == Some("curl"))
        .unwrap();
    assert_eq!((curl.pipeline, curl.stage), (bash.pipeline, 0));
    assert!(!p.parts.last().unwrap().background);
}

#[test]
fn heredoc_bodies_are_kept() {
    let p = parse("cat <<-EOF > /etc/motd\n\thello\n\tEOF\n");
    let r = &p.parts[0].redirects;
    assert_eq!(r[0].heredoc.as_ref().unwrap().body, "hello\n");
    assert!(r[1].writes_path());
    let p = parse("psql <<SQL\nDROP TABLE $t;\nSQL");
    let h = p.parts[0].redirects[0].heredoc.as_ref().unwrap();
    assert!(h.dynamic && !h.quoted);
}

#[test]
fn brace_expansion_is_knowable() {
    let p = parse("{rm,-rf,/}");
    assert_eq!(
        p.parts[0].argv[0].brace_expansion().unwrap(),
        ["rm", "-rf", "/"]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for n in [60usize, 1_000, 100_000] {
        let inputs = [
            format!("{}x{}", "$(".repeat(n), ")".repeat(n)),
            format!("{}x{}", "(".repeat(n), ")".repeat(n)),
            format!("{}x{}", "${a:-".repeat(n), "}".repeat(n)),
            format!("{}x{}", "\"$(".repeat(n), ")\"".repeat(n)),
            format!("{}x{}", "{ ".repeat(n), "; }".repeat(n)),
            "eval ".repeat(n) + "x",
        ];
        for input in inputs {
            // A small stack proves the depth cap works.
            let p = std::thread::Builder::new()
                .stack_size(1024 * 1024)
                .spawn(move || parse(&input))
                .unwrap()
                .join()
                .unwrap();
            if n > 48 {
                assert!(p.is_opaque(), "nesting {n} must be opaque");
            }
        }
    }
}

#[test]
fn nested_script_strings_are_read() {
    let p = parse("bash -c \"bash -c 'rm -rf /'\"");
    assert!(p.parts.iter().any(|x| x.program() == Some("rm")), "{p:?}");
}

#[test]
fn huge_inputs_are_bounded() {
    let big = "echo a; ".repeat(20_000);
    let p = parse(&big);
    assert!(p.opaque.iter().any(|o| o.kind == OpaqueKind::Limit));
    assert!(p.parts.len() <= Limits::default().max_parts);
    let huge = "x".repeat(2 * 1024 * 1024);
    let p = parse(&huge);
    assert!(p.is_opaque() && p.parts.is_empty());
    let many_wrappers = "nice ".repeat(5_000) + "rm";
    let p = parse(&many_wrappers);
    assert!(p.is_opaque());
}

#[test]
fn invalid_utf8_is_opaque() {
    let p = parse_bytes(b"ls \xff");
    assert!(p.opaque.iter().any(|o| o.kind == OpaqueKind::ControlByte));
    assert_eq!(p.parts.len(), 1);
}

#[test]
fn canonical_text_reparses_to_the_same_argv() {
    for src in [
        "rm -rf '/a b'",
        "echo 'it'\\''s' x=1",
        "'if' a",
        "A=1 'B=2' c",
    ] {
        let p = parse(src);
        let canon = p.parts[0].canonical();
        let q = parse(&canon);
        let a: Vec<_> = p.parts[0].argv.iter().map(|w| &w.text).collect();
        let b: Vec<_> = q.parts[0].argv.iter().map(|w| &w.text).collect();
        assert_eq!(a, b, "{src} -> {canon}");
    }
}

#[test]
fn plain_cd_is_only_a_literal_cd() {
    assert_eq!(parse("cd").plain_cd(), Some(None));
    assert_eq!(parse("cd /srv/app").plain_cd(), Some(Some("/srv/app")));
    assert_eq!(parse("cd 'my dir'").plain_cd(), Some(Some("my dir")));
    for gated in [
        "cd $(curl -s x)",
        "cd $HOME",
        "cd ~",
        "cd /tmp && rm -rf x",
        "cd /tmp; ls",
        "X=1 cd /tmp",
        "cd /tmp > out",
        "cd a b",
        "cdx /tmp",
        "cd `id`",
        "cd \"$(id)\"",
    ] {
        assert_eq!(parse(gated).plain_cd(), None, "{gated}");
    }
}

/// Found by fuzzing: a here-document that the input ends inside (no closing delimiter, no
/// final newline) read as a script, with a `<<-` here-document inside it. Every span stays
/// inside the input.
#[test]
fn unterminated_heredoc_scripts_keep_spans_inside_the_input() {
    for src in [
        // The fuzzer's input, as found.
        "ssh ec0 << 'EOF'\n  yash -Lst/pth: /raw.githubusercontent.com/\x07\x00AET-DevOp50s/team-nixops/refs/heads/main/dockheENUM + 10er-com<<-pose.yml -o in/d.ydown> filencme | ta\nEOil -20F",
        "ssh host << 'EOF'\n  yash -L x<<-pose.yml -o out> f | ta\nEOil -20F",
        "bash <<EOF\necho hi",
        "ssh h <<EOF\ncat <<-X\n\tboo",
    ] {
        let p = parse(src);
        for part in &p.parts {
            assert!(part.span.1 <= src.len(), "{src:?}: part {:?}", part.span);
            for w in &part.argv {
                assert!(w.span.1 <= src.len(), "{src:?}: word {:?}", w.span);
            }
        }
    }
}

/// `for` and `select` record the static words their variable takes, and globs as written;
/// not words known only at run time.
#[test]
fn loop_values_are_recorded() {
    let p = parse("for x in a \"b c\" $y *.log; do echo $x; done; select s in /etc; do :; done");
    let got: Vec<(&str, &str)> = p
        .loop_values
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [("x", "a"), ("x", "b c"), ("x", "*.log"), ("s", "/etc")]
    );
    assert!(
        parse("for ((i=0; i<3; i++)); do :; done")
            .loop_values
            .is_empty()
    );
    let many = format!("for x in {}; do :; done", "w ".repeat(100));
    assert_eq!(parse(&many).loop_values.len(), 64);
}
