#compdef oclip
# zsh completion for oclip; candidates come from `oclip __complete`.
_oclip() {
  local -a candidates
  candidates=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ ${candidates[1]} == ":files" ]]; then
    _files
  else
    compadd -- "${candidates[@]}"
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _oclip "$@"
else
  compdef _oclip oclip
fi
