// patron's Stripe payment page: Stripe's card field saves the card (a SetupIntent), patron
// charges it while the fan is here, and when the bank wants the fan to authenticate, Stripe
// asks them on this page. patron counts the payment when Stripe says it succeeded.
(function () {
  'use strict';
  var form = document.getElementById('stripe-form');
  if (!form || typeof Stripe === 'undefined') return;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  var checkout = form.getAttribute('data-stripe-checkout');
  var membership = form.getAttribute('data-stripe-membership');
  var stripe = Stripe(form.getAttribute('data-stripe-key'));
  var card = stripe.elements().create('card');
  card.mount('#card-element');
  var errorBox = form.querySelector('[data-stripe-error]');
  var button = form.querySelector('button');

  function fail(message) {
    errorBox.textContent = message || form.getAttribute('data-stripe-failed');
    errorBox.hidden = false;
    button.disabled = false;
  }

  function post(path, body) {
    return fetch('/api/v1/checkouts/' + checkout + '/stripe/' + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
        return data;
      });
    });
  }

  function finish(step) {
    if (step.status === 'paid' || step.status === 'pending') { window.location.href = step.next; return; }
    if (step.status === 'declined') { fail(step.message); return; }
    if (step.status === 'authenticate') {
      stripe.confirmCardPayment(step.client_secret).then(function (result) {
        if (result.error) { fail(result.error.message); return; }
        post('look', { payment_intent: step.payment_intent }).then(finish).catch(function (e) { fail(e.message); });
      });
    }
  }

  // a membership's new card: saved with Stripe, then made the one its renewals charge
  function cardSaved(setupIntent) {
    return fetch('/api/v1/me/memberships/' + membership + '/card', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ setup_intent: setupIntent })
    }).then(function (response) {
      if (!response.ok) throw new Error(response.statusText);
      window.location.href = '/account#memberships';
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.hidden = true;
    stripe.confirmCardSetup(form.getAttribute('data-stripe-secret'), { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) { fail(result.error.message); return; }
        if (membership) {
          cardSaved(result.setupIntent.id).catch(function (e) { fail(e.message); });
          return;
        }
        post('pay').then(finish).catch(function (e) { fail(e.message); });
      });
  });
})();
