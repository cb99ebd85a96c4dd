// Live updates for the gallery page: new cards arrive as server-sent events (rendered and escaped by the
// server), older ones page in on demand. No build step, no framework.
(function () {
  'use strict';
  var lanes = { ready: document.getElementById('ready'), failed: document.getElementById('failed') };
  var params = new URLSearchParams(location.search);
  var filter = { q: params.get('q') || '', source: params.get('source') || '' };
  var live = document.getElementById('live');

  function card(html) {
    var template = document.createElement('template');
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  function find(lane, requestId) {
    for (var el = lane.firstElementChild; el; el = el.nextElementSibling) {
      if (el.dataset.requestId === requestId) return el;
    }
    return null;
  }

  function refresh() {
    ['ready', 'failed'].forEach(function (kind) {
      document.getElementById(kind + '-count').textContent = lanes[kind].children.length;
      document.getElementById(kind + '-empty').hidden = lanes[kind].children.length > 0;
    });
  }

  function arrive(kind, html) {
    var el = card(html);
    var id = el.dataset.requestId;
    // A request has one card: a newer result replaces it, and an image takes it out of the failures.
    var old = find(lanes[kind], id);
    if (old) old.remove();
    if (kind === 'ready') {
      var failure = find(lanes.failed, id);
      if (failure) failure.remove();
    }
    el.classList.add('new');
    lanes[kind].prepend(el);
    refresh();
  }

  var query = new URLSearchParams({ q: filter.q, source: filter.source, after: document.body.dataset.lastSeq });
  var events = new EventSource('/events?' + query);
  events.addEventListener('ready', function (e) { arrive('ready', e.data); });
  events.addEventListener('failed', function (e) { arrive('failed', e.data); });
  events.onopen = function () { live.textContent = 'live'; live.className = 'live on'; };
  events.onerror = function () { live.textContent = 'reconnecting…'; live.className = 'live off'; };

  document.querySelectorAll('button.older').forEach(function (button) {
    button.addEventListener('click', function () {
      var kind = button.dataset.kind;
      var last = lanes[kind].lastElementChild;
      var before = last ? last.dataset.seq : document.body.dataset.lastSeq;
      var url = '/cards?' + new URLSearchParams({ kind: kind, before: before, q: filter.q, source: filter.source });
      button.disabled = true;
      fetch(url).then(function (response) {
        button.hidden = response.headers.get('X-More') !== 'true';
        return response.text();
      }).then(function (html) {
        lanes[kind].insertAdjacentHTML('beforeend', html);
        button.disabled = false;
        refresh();
      }, function () { button.disabled = false; });
    });
  });
})();
