// Small progressive enhancements; every form also works without this script.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  // Date and time inputs are in the browser's time zone: tell the server the offset.
  var offset = String(-new Date().getTimezoneOffset());
  document.querySelectorAll('[data-tz-offset]').forEach(function (input) {
    if (!input.value || input.value === '0') input.value = offset;
  });

  function send(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Accept': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
        return data;
      });
    });
  }

  function showError(form, message) {
    var note = form.querySelector('.enhance-error');
    if (!note) {
      note = document.createElement('p');
      note.className = 'alert enhance-error';
      note.setAttribute('role', 'alert');
      form.appendChild(note);
    }
    note.textContent = message;
  }

  // Voting without a reload: update counts and choices from the API's answer.
  document.querySelectorAll('form[data-enhance="vote"]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var chosen = Array.prototype.map.call(form.querySelectorAll('input[name="option"]:checked'), function (i) { return i.value; });
      send(form.dataset.api, { option_ids: chosen }).then(function (post) {
        var poll = post.poll;
        poll.options.forEach(function (option) {
          var input = form.querySelector('input[value="' + option.id + '"]');
          var item = input && input.closest('li');
          if (!item) return;
          item.classList.toggle('chosen', option.chosen);
          if (option.votes !== null) {
            var votes = item.querySelector('.votes');
            if (!votes) {
              votes = document.createElement('span');
              votes.className = 'votes';
              votes.setAttribute('data-testid', 'poll-votes');
              item.querySelector('label').appendChild(votes);
              var bar = document.createElement('meter');
              bar.className = 'bar';
              bar.min = 0;
              bar.max = 100;
              bar.setAttribute('aria-hidden', 'true');
              item.querySelector('label').appendChild(bar);
            }
            votes.textContent = option.percent + ' % (' + option.votes + ')';
            item.querySelector('.bar').value = option.percent;
          }
        });
        form.dataset.voted = 'true';
        var error = form.querySelector('.enhance-error');
        if (error) error.remove();
      }).catch(function (error) { showError(form, error.message); });
    });
  });

  // Commenting without a reload: append the new comment.
  document.querySelectorAll('form[data-enhance="comment"]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var textarea = form.querySelector('textarea[name="body"]');
      send(form.dataset.api, { body: textarea.value }).then(function (comment) {
        var item = document.createElement('div');
        item.className = 'comment';
        item.id = 'comment-' + comment.id;
        item.setAttribute('data-testid', 'comment');
        var meta = document.createElement('p');
        meta.className = 'muted small';
        var author = document.createElement('strong');
        author.textContent = comment.author_name || '';
        meta.appendChild(author);
        var body = document.createElement('p');
        body.className = 'comment-body';
        body.textContent = comment.body;
        item.appendChild(meta);
        item.appendChild(body);
        form.parentNode.insertBefore(item, form);
        textarea.value = '';
        var empty = form.parentNode.querySelector('.no-comments');
        if (empty) empty.remove();
      }).catch(function (error) { showError(form, error.message); });
    });
  });
})();
