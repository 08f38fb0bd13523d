/* site_builder's additions to Decap CMS, loaded by /admin/ right after the pinned editor app
 * (site_builder/cms.py; docs/editor.md):
 *  - previews use the site's own stylesheet (the script tag's data-stylesheet);
 *  - the date and time fields: Decap's `datetime` widget, replaced under its own name.
 *
 * Decap's own date-time widget reads a value with one fixed format, so `6:00 pm` showed as 06:00 AM
 * and was saved so as soon as the date was touched.  These widgets read every form the build
 * reads (site_builder/readers/calendar.py parse_time and parse_date_time: `18:30`, `6:30 pm`,
 * `6pm`, `noon`, a date alone), show it in the browser's own date and time inputs, and leave the
 * value exactly as written until the volunteer changes it; a change is saved as `2026-05-01 18:00`,
 * `2026-05-01` or `18:00`.  A date and time field whose time is left empty is a date alone (an
 * all-day event).  A value they cannot read (an offset, seconds) is shown and kept as text.
 */
(function () {
  'use strict';
  var CMS = window.CMS;
  var me = document.currentScript;
  if (!CMS) return;
  if (me && me.dataset.stylesheet && CMS.registerPreviewStyle) CMS.registerPreviewStyle(me.dataset.stylesheet);
  var h = window.h;
  var createClass = window.createClass;
  // (Decap only, which the page says: Sveltia CMS gets text fields for dates instead, cms.for_editor)
  if (!me || me.dataset.editor !== 'decap' || !h || !createClass || !CMS.registerWidget) return;

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function readTime(text) {
    var s = String(text).trim().toLowerCase();
    var m;
    if (s === 'noon') return '12:00';
    m = /^(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\.?$/.exec(s);
    if (m) {
      var hour = +m[1];
      var minute = +(m[2] || 0);
      return hour >= 1 && hour <= 12 && minute < 60 ? pad(hour % 12 + (m[3] === 'p' ? 12 : 0)) + ':' + pad(minute) : null;
    }
    m = /^(\d{1,2}):(\d{2})(?::00)?$/.exec(s);
    return m && +m[1] < 24 && +m[2] < 60 ? pad(+m[1]) + ':' + m[2] : null;
  }

  function readDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text).trim());
    if (!m) return null;
    var day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return day.getUTCMonth() === +m[2] - 1 && day.getUTCDate() === +m[3] ? m[0] : null;
  }

  // value → {date, time} for the inputs ('' where empty), or null when it cannot be shown in them
  function read(value, kind) {
    var text = value === null || value === undefined ? '' : String(value).trim();
    if (text === '') return { date: '', time: '' };
    if (kind === 'time') {
      var t = readTime(text);
      return t ? { date: '', time: t } : null;
    }
    var m = /^(\d{4}-\d{2}-\d{2})(?:(?:T|\s+)(.+))?$/.exec(text);
    var date = m && readDate(m[1]);
    if (!date) return null;
    if (!m[2]) return { date: date, time: '' };
    if (kind === 'date') return null;
    var time = readTime(m[2]);
    return time ? { date: date, time: time } : null;
  }

  function write(parts, kind) {
    if (kind === 'time') return parts.time;
    if (kind === 'date' || !parts.date) return parts.date;
    return parts.time ? parts.date + ' ' + parts.time : parts.date;
  }

  // which fields are a date, a time or both: from the storage formats site_builder/cms.py gives
  function kindOf(field) {
    if (field && field.get('date_format') === false) return 'time';
    if (field && field.get('time_format') === false) return 'date';
    return 'datetime';
  }

  function widget(fixed) {
    return createClass({
      // (Decap asks before saving: a value the inputs could not show stays as written)
      isValid: function () { return true; },
      change: function (part, event) {
        var kind = fixed || kindOf(this.props.field);
        var parts = read(this.props.value, kind) || { date: '', time: '' };
        var next = { date: parts.date, time: parts.time };
        next[part] = event.target.value;
        this.props.onChange(write(next, kind));
      },
      render: function () {
        var props = this.props;
        var kind = fixed || kindOf(props.field);
        var parts = read(props.value, kind);
        var style = { display: 'flex', flexWrap: 'wrap', gap: '12px', alignItems: 'center' };
        if (parts === null) {  // shown and kept as text
          return h('div', { className: props.classNameWrapper, style: style },
            h('input', { id: props.forID, type: 'text', value: String(props.value), 'data-kept': 'text',
                         onChange: function (e) { props.onChange(e.target.value); },
                         onFocus: props.setActiveStyle, onBlur: props.setInactiveStyle }));
        }
        var inputs = [];
        if (kind !== 'time') {
          inputs.push(h('input', { key: 'date', id: props.forID, type: 'date', value: parts.date, 'aria-label': 'Date',
                                   onChange: this.change.bind(this, 'date'),
                                   onFocus: props.setActiveStyle, onBlur: props.setInactiveStyle }));
        }
        if (kind !== 'date') {
          inputs.push(h('input', { key: 'time', id: kind === 'time' ? props.forID : props.forID + '-time', type: 'time',
                                   value: parts.time, 'aria-label': kind === 'time' ? 'Time' : 'Time (empty: all day)',
                                   onChange: this.change.bind(this, 'time'),
                                   onFocus: props.setActiveStyle, onBlur: props.setInactiveStyle }));
        }
        if (kind === 'datetime') {
          inputs.push(h('span', { key: 'note', style: { fontSize: '0.85em', color: '#555' } },
                        parts.date && !parts.time ? 'All day (no time)' : 'Leave the time empty for an all-day entry'));
        }
        return h('div', { className: props.classNameWrapper, style: style }, inputs);
      },
    });
  }

  function preview(props) { return h('span', {}, props.value ? String(props.value) : ''); }

  // Decap's own datetime widget, replaced under its own name and with its own options' schema
  var SCHEMA = { properties: { format: { type: 'string' },
                               date_format: { oneOf: [{ type: 'string' }, { type: 'boolean' }] },
                               time_format: { oneOf: [{ type: 'string' }, { type: 'boolean' }] },
                               picker_utc: { type: 'boolean' } } };
  CMS.registerWidget('datetime', widget(null), preview, SCHEMA);
  window.siteBuilderWhen = { read: read, write: write };  // (the tests check both against the build's readers)
}());
