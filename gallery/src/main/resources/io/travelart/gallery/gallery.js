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
    document.getElementById('progress-count').textContent = lanes.ready.querySelectorAll(':scope > article.progress').length;
    document.getElementById('ready-count').textContent = lanes.ready.querySelectorAll(':scope > article.image').length;
    document.getElementById('failed-count').textContent = lanes.failed.children.length;
    ['ready', 'failed'].forEach(function (kind) {
      document.getElementById(kind + '-empty').hidden = lanes[kind].children.length > 0;
    });
  }

  // A request has one card. A request on its way has its card in the images' grid ('progress'), which the next step
  // replaces and its image takes over; its failure takes it out of the grid; an image takes it out of the failures.
  function arrive(kind, html) {
    var el = card(html);
    var id = el.dataset.requestId;
    var lane = kind === 'failed' ? lanes.failed : lanes.ready;
    var old = find(lane, id);
    if (kind === 'progress' && old && !old.classList.contains('progress')) return; // its image is here already
    if (old) old.remove();
    if (kind === 'ready') {
      var failure = find(lanes.failed, id);
      if (failure) failure.remove();
    }
    if (kind === 'failed') {
      var pending = find(lanes.ready, id);
      if (pending && pending.classList.contains('progress')) pending.remove();
    }
    el.classList.add('new');
    lane.prepend(el);
    refresh();
  }

  var query = new URLSearchParams({ q: filter.q, source: filter.source, after: document.body.dataset.lastSeq });
  var events = new EventSource('/events?' + query);
  events.addEventListener('ready', function (e) { arrive('ready', e.data); });
  events.addEventListener('failed', function (e) { arrive('failed', e.data); });
  events.addEventListener('progress', function (e) { arrive('progress', e.data); });
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
