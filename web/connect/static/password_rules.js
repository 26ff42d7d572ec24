// The password policy as the person types: the length rule is ticked once met, and the second
// entry says whether it matches the first. The server checks every rule again.
(() => {
  const password = document.getElementById("password");
  const again = document.getElementById("password_confirmation");
  const rules = document.getElementById("rules");
  const same = document.getElementById("same-password");
  if (!password || !again || !rules || !same) return;
  const length = rules.querySelector("[data-rule=length]");
  const minimum = Number(rules.dataset.minLength);
  const update = () => {
    length.classList.toggle("met", password.value.length >= minimum);
    if (!again.value) same.textContent = "";
    else same.textContent = again.value === password.value ? same.dataset.same : same.dataset.different;
  };
  password.addEventListener("input", update);
  again.addEventListener("input", update);
})();
