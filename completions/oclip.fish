# fish completion for oclip; candidates come from `oclip __complete`.
function __oclip_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l candidates (oclip __complete $words 2>/dev/null)
    if test "$candidates[1]" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $candidates
    end
end
complete -c oclip -f -a '(__oclip_complete)'
