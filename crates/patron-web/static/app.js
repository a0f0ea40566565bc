// Small progressive enhancements; every form also works without this script.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  // Date and time inputs are in the browser's time zone: tell the server the offset.
  var offset = String(-new Date().getTimezoneOffset());
  document.querySelectorAll('[data-tz-offset]').forEach(function (input) {
    if (!input.value || input.value === '0') input.value = offset;
  });

  // The post editor's files: each chosen file is uploaded with a progress bar, and its id
  // joins the form's list of attached files; saving the post attaches them.
  document.querySelectorAll('[data-upload]').forEach(function (input) {
    var box = input.closest('fieldset');
    var ids = box.querySelector('[data-media-ids]');
    var list = box.querySelector('[data-attachments]');
    var bar = box.querySelector('[data-upload-progress]');
    var error = box.querySelector('[data-upload-error]');
    function current() { return ids.value.split(',').filter(function (id) { return id; }); }
    // a file being processed shows its progress until it is ready (or failed)
    function watch(li) {
      var id = li.getAttribute('data-media-id');
      if (!id || li.getAttribute('data-status') !== 'processing') return;
      setTimeout(function () {
        fetch('/api/v1/media/' + id, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data) return;
            li.setAttribute('data-status', data.status);
            var text = data.status === 'processing' && data.progress != null ? data.progress + ' %' : data.status;
            if (data.error) text += ': ' + data.error;
            li.querySelector('[data-media-status]').textContent = text;
            watch(li);
          })
          .catch(function () { return null; });
      }, 2000);
    }
    list.querySelectorAll('li[data-media-id]').forEach(watch);
    function remember(list) { ids.value = list.join(','); }
    function item(name, status) {
      var li = document.createElement('li');
      var label = document.createElement('span');
      label.textContent = name;
      var state = document.createElement('span');
      state.className = 'muted small';
      state.setAttribute('data-media-status', '');
      state.textContent = status;
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.setAttribute('data-remove-media', '');
      remove.textContent = '×';
      li.appendChild(label); li.appendChild(document.createTextNode(' ')); li.appendChild(state);
      li.appendChild(document.createTextNode(' ')); li.appendChild(remove);
      list.appendChild(li);
      return li;
    }
    function upload(file) {
      return new Promise(function (resolve) {
        var li = item(file.name, '0 %');
        var request = new XMLHttpRequest();
        request.open('POST', input.getAttribute('data-upload'));
        request.setRequestHeader('X-CSRF-Token', csrf);
        request.setRequestHeader('Accept', 'application/json');
        bar.hidden = false;
        request.upload.onprogress = function (event) {
          if (!event.lengthComputable) return;
          var percent = Math.round(event.loaded * 100 / event.total);
          bar.value = percent;
          li.querySelector('[data-media-status]').textContent = percent + ' %';
        };
        request.onload = function () {
          var data = {};
          try { data = JSON.parse(request.responseText); } catch (e) { data = {}; }
          if (request.status === 201) {
            li.setAttribute('data-media-id', data.id);
            li.setAttribute('data-status', data.status);
            li.querySelector('[data-media-status]').textContent = data.status;
            remember(current().concat([data.id]));
            watch(li);
          } else {
            li.remove();
            error.hidden = false;
            error.textContent = file.name + ': ' + ((data.error && data.error.message) || request.statusText);
          }
          resolve();
        };
        request.onerror = function () {
          li.remove();
          error.hidden = false;
          error.textContent = file.name + ': ' + request.statusText;
          resolve();
        };
        var form = new FormData();
        form.append('file', file);
        request.send(form);
      });
    }
    input.addEventListener('change', function () {
      error.hidden = true;
      var files = Array.prototype.slice.call(input.files);
      files.reduce(function (done, file) {
        return done.then(function () { return upload(file); });
      }, Promise.resolve()).then(function () {
        bar.hidden = true;
        input.value = '';
      });
    });
    list.addEventListener('click', function (event) {
      var li = event.target.closest('li');
      if (!li) return;
      var id = li.getAttribute('data-media-id');
      if (event.target.hasAttribute('data-remove-media')) {
        remember(current().filter(function (other) { return other !== id; }));
        li.remove();
      } else if (event.target.hasAttribute('data-retry-media') && id) {
        send('/api/v1/media/' + id + '/retry', {}).catch(function () { return null; }).then(function () {
          li.querySelector('[data-media-status]').textContent = '…';
          event.target.remove();
        });
      }
    });
  });

  // Avatar and cover: uploaded as soon as chosen; the worker crops them and the page shows them.
  document.querySelectorAll('[data-image-upload]').forEach(function (input) {
    var note = input.closest('fieldset').querySelector('[data-image-note]');
    input.addEventListener('change', function () {
      var file = input.files[0];
      if (!file) return;
      var form = new FormData();
      form.append('file', file);
      fetch(input.getAttribute('data-image-upload'), {
        method: 'POST', credentials: 'same-origin', body: form,
        headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' }
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
          note.textContent = note.getAttribute('data-done') || '✓';
          note.setAttribute('data-uploaded', data.id);
        });
      }).catch(function (error) { note.textContent = error.message; });
    });
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

  // A form that destroys, refunds or hands over asks in a dialog first and then posts with
  // confirmed=yes (without JavaScript the server shows a confirmation page instead). It
  // runs before the forms' own enhancements, which a confirmed native post skips.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm || form.querySelector('input[name="confirmed"]')) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!window.confirm(form.dataset.confirm)) return;
    var confirmed = document.createElement('input');
    confirmed.type = 'hidden';
    confirmed.name = 'confirmed';
    confirmed.value = 'yes';
    form.appendChild(confirmed);
    form.submit();
  }, true);

  // Shows a poll's counts and the viewer's choices as the API returned them.
  function updatePoll(form, poll) {
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
    var total = form.querySelector('[data-testid="poll-total"]');
    if (total && poll.total_votes !== null && poll.total_votes !== undefined) {
      total.textContent = counted(form.dataset.totalForms, poll.total_votes);
      total.hidden = false;
    }
  }

  // A counted text from its forms ("{} vote|{} votes"; Czech has one|few|other) by the
  // page language's plural rules.
  function counted(forms, n) {
    var list = (forms || '{}').split('|');
    var category = new Intl.PluralRules(document.documentElement.lang || 'en').select(n);
    var index = category === 'one' ? 0 : (category === 'few' && list.length > 2 ? 1 : list.length - 1);
    return list[index].replace('{}', n);
  }

  // Voting without a reload: update counts and choices from the API's answer.
  function enhanceVotes(root) {
    root.querySelectorAll('form[data-enhance="vote"]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var chosen = Array.prototype.map.call(form.querySelectorAll('input[name="option"]:checked'), function (i) { return i.value; });
        send(form.dataset.api, { option_ids: chosen }).then(function (post) {
          updatePoll(form, post.poll);
          form.dataset.voted = 'true';
          var error = form.querySelector('.enhance-error');
          if (error) error.remove();
        }).catch(function (error) { showError(form, error.message); });
      });
    });
  }
  enhanceVotes(document);

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

  // Live events (logged-in pages): new posts appear on the creator page and in the feed,
  // poll counts follow other people's votes, replies to one's comments are announced.
  // EventSource reconnects by itself and sends Last-Event-ID, so nothing in between is lost.
  var body = document.body;
  if (body.dataset.live === 'on' && window.EventSource) {
    var note = document.querySelector('[data-live-note]');
    var announce = function (text) {
      if (!note) return;
      note.textContent = text;
      note.hidden = false;
    };
    var refreshPosts = function () {
      var list = document.querySelector('[data-live-posts]');
      if (!list) return Promise.resolve(false);
      return fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-live-posts]');
          if (!fresh) return false;
          list.innerHTML = fresh.innerHTML;
          enhanceVotes(list);
          return true;
        });
    };
    var events = new EventSource('/api/v1/events');
    events.addEventListener('post.published', function (message) {
      var data = JSON.parse(message.data);
      var list = document.querySelector('[data-live-posts]');
      if (!list) return;
      var scope = list.dataset.livePosts;
      if (scope !== 'feed' && scope !== data.creator_slug) return;
      refreshPosts().then(function (updated) {
        if (updated) announce((body.dataset.liveNewPost || 'New post') + ': ' + data.title);
      }).catch(function () {});
    });
    events.addEventListener('poll.results', function (message) {
      var data = JSON.parse(message.data);
      var form = document.getElementById('poll-' + data.post_id);
      if (!form) return;
      fetch('/api/v1/creators/' + encodeURIComponent(data.creator_slug) + '/posts/' + encodeURIComponent(data.post_id),
        { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (post) { if (post && post.poll) updatePoll(form, post.poll); })
        .catch(function () {});
    });
    events.addEventListener('comment.reply', function (message) {
      var data = JSON.parse(message.data);
      announce((body.dataset.liveReply || 'New reply') + ': ' + (data.author_name || ''));
    });
  }
})();
